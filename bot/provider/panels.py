"""The panels the shop buys from, by name: each with its own client, currency rate and
timeout. `main` is PROVIDER_URL/PROVIDER_KEY; PROVIDERS adds more (bot/config.py).

The `providers` table holds one row per panel name (its URL, never its key); the
registry learns each row's id when the rows are upserted at start-up (bot/panels_setup.py),
so an order or a service (which keep a provider id) finds its panel's client.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from bot.provider.client import ProviderClient

MAIN_PANEL = "main"


class UnknownPanel(LookupError):
    """No panel of that name is configured (or it was skipped at start-up)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class Panel:
    name: str
    url: str
    client: ProviderClient
    currency_rate: Decimal  # shop units per unit of the panel's currency
    timeout_seconds: float

    def __repr__(self) -> str:  # the client's repr shows the URL only
        return f"Panel({self.name!r}, {self.url!r})"


class PanelRegistry:
    """name -> Panel, in configuration order (`main` first)."""

    def __init__(self, panels: Iterable[Panel]) -> None:
        self._panels: dict[str, Panel] = {}
        for panel in panels:
            self._panels.setdefault(panel.name, panel)
        self._ids: dict[str, int] = {}
        self._gone: set[int] = set()  # rows of panels no longer configured
        self.skipped: dict[str, str] = {}  # name -> why it was left out at start-up

    def __iter__(self) -> Iterator[Panel]:
        return iter(list(self._panels.values()))

    def __len__(self) -> int:
        return len(self._panels)

    def __contains__(self, name: object) -> bool:
        return name in self._panels

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._panels)

    def find(self, name: str) -> Panel | None:
        return self._panels.get(name)

    def get(self, name: str) -> Panel:
        panel = self._panels.get(name)
        if panel is None:
            raise UnknownPanel(name)
        return panel

    def shown(self, name: str) -> str | None:
        """The panel's name where operators read about it: None in a one-panel shop, so
        its alerts read as they always did."""
        return name if len(self._panels) > 1 or name != MAIN_PANEL else None

    @property
    def main(self) -> Panel | None:
        return self._panels.get(MAIN_PANEL)

    # --- the providers table's ids ------------------------------------------------

    def bind(self, name: str, provider_id: int) -> None:
        """Remember the providers row of panel `name`."""
        if name in self._panels:
            self._ids[name] = provider_id

    def id_of(self, name: str) -> int | None:
        return self._ids.get(name)

    def name_of(self, provider_id: int | None) -> str | None:
        for name, known in self._ids.items():
            if known == provider_id:
                return name
        return None

    def by_id(self, provider_id: int | None) -> Panel | None:
        """The panel of a providers row; None when it is not configured now."""
        name = self.name_of(provider_id)
        return None if name is None else self._panels.get(name)

    def forget(self, provider_ids: Iterable[int]) -> None:
        """Rows of panels the configuration no longer names: their orders have no client."""
        self._gone = set(provider_ids) - set(self._ids.values())

    def panel_for(self, provider_id: int | None) -> Panel | None:
        """A row's panel; None for a panel no longer configured. Orders and services from
        before the registry knew the ids (a one-panel database) belong to `main`."""
        panel = self.by_id(provider_id)
        if (
            panel is None
            and provider_id not in self._gone
            and (provider_id is None or not self._ids)
        ):
            panel = self.main
        return panel

    def client_for(self, provider_id: int | None) -> ProviderClient | None:
        panel = self.panel_for(provider_id)
        return None if panel is None else panel.client

    def scope(self, name: str) -> list[int | None] | None:
        """Which orders' provider ids the panel's jobs follow: None for all of them (a
        one-panel shop whose ids are not known yet), [] for none."""
        provider_id = self._ids.get(name)
        if provider_id is None:
            return None if name == MAIN_PANEL and not self._ids else []
        return [provider_id, None] if name == MAIN_PANEL else [provider_id]

    def rates_by_id(self) -> dict[int, Decimal]:
        return {
            provider_id: self._panels[name].currency_rate
            for name, provider_id in self._ids.items()
            if name in self._panels
        }

    def skip(self, name: str, reason: str) -> None:
        """Leave panel `name` out (its URL answered something that is not the API)."""
        if self._panels.pop(name, None) is not None:
            self._ids.pop(name, None)
            self.skipped[name] = reason

    async def close(self) -> None:
        for panel in self._panels.values():
            await panel.client.close()


__all__ = ["MAIN_PANEL", "Panel", "PanelRegistry", "UnknownPanel"]
