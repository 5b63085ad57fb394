"""Switches that make the simulator misbehave the way real panels and their CDNs do."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

_BOOL_FIELDS = frozenset(
    {
        "http_5xx",
        "html",
        "hang",
        "add_hang_after_create",
        "bare_string_item_errors",
        "single_id_flat",
        "empty_catalogue_object",
        "reject_duplicate_links",
    }
)


@dataclass(slots=True)
class SimulatorFaults:
    """All off by default; read on every call, so they can be flipped at runtime."""

    latency: float = 0.0  # seconds added before each API reply
    http_5xx: bool = False  # 502 with a text body
    html: bool = False  # 200 with a Cloudflare-like challenge page
    hang: bool = False  # never reply (until the simulator stops)
    add_hang_after_create: bool = False  # `add` creates and charges, then never replies
    # True: ids and numbers as JSON numbers; False: all as strings;
    # None: the mix of the protocol's examples (order ids numbers, amounts strings, ...).
    ids_as_numbers: bool | None = None
    bare_string_item_errors: bool = False  # `"10": "Incorrect order ID"` instead of an object
    single_id_flat: bool = False  # `status` with one id in `orders` answers the flat object
    empty_catalogue_object: bool = False  # `services` answers {"status":"success",...}
    reject_duplicate_links: bool = False  # `add` refuses a link with an unfinished order
    fail_actions: set[str] = field(default_factory=set)  # these actions answer 500
    # Every action refuses the account with this text ("API key is disabled", "Your IP
    # is not allowed"), as a panel does when the reseller's key or access is off.
    account_refusal: str | None = None
    # `status` with one id in `orders` answers {"status": "error", "message": <this>}.
    flat_status_error: str | None = None
    # `balance` answers this text as the amount, verbatim (a PHP float: "5000.1234567").
    balance_text: str | None = None

    def update(self, **changes: Any) -> None:
        """Set fields from loosely typed input (JSON); raises ValueError on a bad one."""
        checked = {name: _checked(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, set() if f.name == "fail_actions" else f.default)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["fail_actions"] = sorted(self.fail_actions)
        return out


def _checked(name: str, value: Any) -> Any:
    if name == "latency":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError("latency: a number of seconds >= 0")
        return float(value)
    if name == "ids_as_numbers":
        if value is not None and not isinstance(value, bool):
            raise ValueError("ids_as_numbers: true, false or null")
        return value
    if name in ("account_refusal", "flat_status_error", "balance_text"):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{name}: a text or null")
        return value
    if name == "fail_actions":
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(a, str) for a in value
        ):
            raise ValueError("fail_actions: a list of action names")
        return set(value)
    if name in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: true or false")
        return value
    raise ValueError(f"unknown fault: {name}")
