"""Config: the runtime contract (the README's configuration table), read from the
environment and `.env` (the shop's own switches, kept in the database, are
bot/shop/shop_settings.py's `ShopSettings`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.numbers import parse_whole

TELEGRAM_API_URL = "https://api.telegram.org"
MAIN_PANEL = "main"  # the panel PROVIDER_URL and PROVIDER_KEY describe
PANEL_NAME = re.compile(r"[a-z0-9_]{1,20}")
# A panel named in PROVIDERS is configured by these (PROVIDER_<NAME>_...).
PANEL_FIELDS = ("URL", "KEY", "CURRENCY_RATE", "TIMEOUT_SECONDS")
MAX_TIMEOUT = 600.0
PANEL_LINES = "panel variables:\n"  # marks the lines of PROVIDER_<NAME>_... errors


class ConfigError(Exception):
    """Start-up must stop: one plain line per problem, e.g. `PROVIDER_URL: not a URL`."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _check_url(value: str | None, *, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError("not a URL")
    return value


@dataclass(frozen=True, slots=True)
class PanelSettings:
    """One panel the shop buys from. The key is a SecretStr: it never shows in a repr."""

    name: str
    url: str
    key: SecretStr
    currency_rate: Decimal  # shop units per unit of the panel's currency
    timeout_seconds: float


def _env_value(name: str) -> str | None:
    """A dynamic variable (PROVIDER_<NAME>_...): the environment first, then `.env`."""
    for candidate in (name, name.lower()):
        if candidate in os.environ:
            return os.environ[candidate]
    if Path(".env").is_file():
        values = {key.upper(): value for key, value in dotenv_values(".env").items()}
        return values.get(name)
    return None


def _panel_settings(
    name: str, default_rate: Decimal, default_timeout: float
) -> tuple[PanelSettings | None, list[str]]:
    """The panel `name`'s settings from PROVIDER_<NAME>_..., or one line per bad field."""
    prefix = f"PROVIDER_{name.upper()}_"
    lines: list[str] = []
    raw = {field: (_env_value(prefix + field) or "").strip() for field in PANEL_FIELDS}
    url = raw["URL"]
    if not url:
        lines.append(f"{prefix}URL: required")
    else:
        try:
            _check_url(url)
        except ValueError:
            lines.append(f"{prefix}URL: not a URL")
    if not raw["KEY"]:
        lines.append(f"{prefix}KEY: required")
    rate = default_rate
    if raw["CURRENCY_RATE"]:
        text = raw["CURRENCY_RATE"][:40]
        try:
            rate = Decimal(text)
        except ArithmeticError:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            lines.append(f"{prefix}CURRENCY_RATE: a positive number")
    timeout = default_timeout
    if raw["TIMEOUT_SECONDS"]:
        try:
            timeout = float(raw["TIMEOUT_SECONDS"][:40])
        except ValueError:
            timeout = 0.0
        if not (0 < timeout <= MAX_TIMEOUT):
            lines.append(f"{prefix}TIMEOUT_SECONDS: a number of seconds above 0, at most 600")
    if lines:
        return None, lines
    return PanelSettings(name, url, SecretStr(raw["KEY"]), rate, timeout), []


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    provider_url: str | None = None
    provider_key: SecretStr | None = None
    provider_timeout_seconds: float = Field(30.0, gt=0, le=600)
    # More panels besides `main`: each configured by PROVIDER_<NAME>_URL, _KEY and
    # optionally _CURRENCY_RATE and _TIMEOUT_SECONDS (read by `_more_panels` below).
    providers: Annotated[tuple[str, ...], NoDecode] = ()
    database_url: str = "sqlite+aiosqlite:///data/bot.sqlite3"
    redis_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    operator_chat_id: int | None = None
    default_locale: str = "en"
    shop_currency: str = "USD"
    currency_rate: Decimal = Field(Decimal(1), gt=0)
    markup_percent: Decimal = Field(Decimal(30), ge=0, le=10000)
    poll_interval_seconds: int = Field(60, ge=5, le=86400)
    # Everything the bot sends shares it: replies, edits, notifications (bot/outbox/pacer.py).
    notify_rate_per_second: float = Field(25.0, gt=0, le=30)
    # Background jobs (bot/jobs): catalogue sync period; the panel balance (in the panel's
    # currency) below which operators are alerted (unset: no alert); how long an order may
    # sit in `submitting` before recovery turns it `unknown` for an admin.
    catalog_sync_minutes: int = Field(60, ge=1, le=10080)
    provider_balance_alert: Decimal | None = Field(None, ge=0)
    submitting_stale_minutes: int = Field(5, ge=2, le=1440)
    stars_rate: Decimal | None = Field(None, gt=0)
    # Payments in Stars, referrals, promo codes (see bot/shop/payments/).
    referral_percent: Decimal = Field(Decimal(5), ge=0, le=100)
    topup_presets: Annotated[tuple[Decimal, ...], NoDecode] = (
        Decimal(5),
        Decimal(10),
        Decimal(25),
        Decimal(50),
    )
    support_contact: str | None = None
    # Support tickets (bot/shop/support/): new tickets one customer may open in an hour.
    support_tickets_per_hour: int = Field(3, ge=1, le=100)
    # The owner's daily tools: the hour (UTC) of the daily summary to the operators' chat
    # (unset: none), and a channel customers must join before they shop (unset: none).
    daily_report_hour: int | None = None
    required_channel: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_port: int = Field(8443, ge=1, le=65535)
    # Webhook server (bot/web.py): bind address, and the route when it differs from
    # WEBHOOK_URL's path (a proxy in front rewrites it); unset: WEBHOOK_URL's path.
    webhook_host: str = "0.0.0.0"
    webhook_path: str | None = None
    # Polling mode: port of the small server for GET /healthz and /metrics (0: none). In
    # webhook mode both are served on WEBHOOK_PORT.
    metrics_port: int = Field(9090, ge=0, le=65535)
    # Per-customer throttle (shared by all replicas through Redis when REDIS_URL is set).
    throttle_rate_per_second: float = Field(2.0, gt=0, le=1000)
    throttle_burst: int = Field(5, ge=1, le=1000)
    log_level: str = "INFO"
    # `make demo` only: ports of the web chat (the Telegram emulator) and the simulated
    # panel; DEMO_KEEP_DATABASE_URL=1 runs the demo on DATABASE_URL instead of data/.
    demo_port: int = Field(8080, ge=1, le=65535)
    demo_provider_port: int = Field(8081, ge=0, le=65535)
    demo_keep_database_url: bool = False
    _more_panels: tuple[PanelSettings, ...] = PrivateAttr(default=())

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _telegram_url(cls, value: Any) -> str:
        checked = _check_url(value if isinstance(value, str) else None)
        return (checked or TELEGRAM_API_URL).rstrip("/")

    @field_validator("provider_url", "webhook_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValueError("not a URL")
        return _check_url(value)

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: Any) -> tuple[str, ...]:
        if value is None or value == "":
            return ()
        items = value.split(",") if isinstance(value, str) else list(value)
        names: list[str] = []
        for item in items:
            name = str(item).strip()[:40]
            if not name:
                continue
            if not PANEL_NAME.fullmatch(name):
                raise ValueError(f"not a panel name (a-z, 0-9, _; up to 20): {name!r}")
            if name == MAIN_PANEL:
                raise ValueError("`main` is the panel of PROVIDER_URL and PROVIDER_KEY")
            if name not in names:
                names.append(name)
        return tuple(names)

    @model_validator(mode="after")
    def _panel_variables(self) -> Config:
        """PROVIDER_<NAME>_... are named at run time, so they are read here, from the
        environment and `.env`; every bad one is a line of its own."""
        panels: list[PanelSettings] = []
        lines: list[str] = []
        for name in self.providers:
            panel, bad = _panel_settings(name, self.currency_rate, self.provider_timeout_seconds)
            lines += bad
            if panel is not None:
                panels.append(panel)
        if lines:
            raise ValueError(PANEL_LINES + "\n".join(lines))
        self._more_panels = tuple(panels)
        return self

    def add_panels(self, *panels: PanelSettings) -> None:
        """More panels besides those of PROVIDERS (the demo's second simulated panel)."""
        known = {panel.name for panel in self.panels}
        self._more_panels += tuple(p for p in panels if p.name not in known)

    @property
    def panels(self) -> tuple[PanelSettings, ...]:
        """Every configured panel: `main` first (when PROVIDER_URL is set), then PROVIDERS."""
        main: tuple[PanelSettings, ...] = ()
        if self.provider_url:
            key = self.provider_key or SecretStr("")
            main = (
                PanelSettings(
                    MAIN_PANEL,
                    self.provider_url,
                    key,
                    self.currency_rate,
                    self.provider_timeout_seconds,
                ),
            )
        return main + self._more_panels

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        # Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - (setWebhook's secret_token).
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is None or (isinstance(text, str) and not text.strip()):
            return None
        if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text.strip()):
            raise ValueError("1-256 characters: letters, digits, _ and -")
        return text.strip()

    @field_validator("webhook_path", mode="before")
    @classmethod
    def _webhook_path(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not text.startswith("/") or any(c.isspace() for c in text):
            raise ValueError("a path such as /webhook")
        return text

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValueError("not a URL")
        return _check_url(value, schemes=("redis", "rediss", "unix"))

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> str:
        if not isinstance(value, str) or "://" not in value:
            raise ValueError("not a database URL (e.g. sqlite+aiosqlite:///data/bot.sqlite3)")
        driver = value.split("://", 1)[0]
        if driver not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError("use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> frozenset[int]:
        if value is None or value == "":
            return frozenset()
        if isinstance(value, int):
            return frozenset({value})
        items = value.split(",") if isinstance(value, str) else list(value)
        ids: set[int] = set()
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            number = parse_whole(text.removeprefix("-"), low=1)
            if number is None:
                raise ValueError(f"not a Telegram user id: {text[:40]!r}")
            ids.add(-number if text.startswith("-") else number)
        return frozenset(ids)

    @field_validator("topup_presets", mode="before")
    @classmethod
    def _presets(cls, value: Any) -> tuple[Decimal, ...]:
        if value is None or value == "":
            return ()
        items = value.split(",") if isinstance(value, str) else list(value)
        amounts: list[Decimal] = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            try:
                amount = Decimal(text)
            except ArithmeticError:
                raise ValueError(f"not an amount: {text!r}") from None
            if not amount.is_finite() or amount <= 0:
                raise ValueError(f"not a positive amount: {text!r}")
            amounts.append(amount)
        return tuple(sorted(set(amounts)))

    @field_validator("support_contact", mode="before")
    @classmethod
    def _support(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        return text[:200] or None

    @field_validator("daily_report_hour", mode="before")
    @classmethod
    def _report_hour(cls, value: Any) -> int | None:
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        hour = parse_whole(text, high=23)
        if hour is None:
            raise ValueError("an hour from 0 to 23 (UTC), or unset for no daily report")
        return hour

    @field_validator("required_channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", text):
            raise ValueError("a public channel's @username, such as @myshop_news")
        return text

    @field_validator("shop_currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        text = str(value or "").strip().upper()
        if not (3 <= len(text) <= 4 and text.isalpha()):
            raise ValueError("a currency code such as USD, EUR, RUB")
        return text

    @field_validator("default_locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> str:
        text = str(value or "").strip().lower()
        if not (2 <= len(text) <= 5 and text.replace("_", "").isalpha()):
            raise ValueError("a language code such as en or ru")
        return text

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> str:
        text = str(value or "INFO").strip().upper()
        if text not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return text

    def missing_for_run(self) -> list[str]:
        """Lines for values that `run` needs but the demo provides itself."""
        lines = []
        if self.bot_token is None or not self.bot_token.get_secret_value():
            lines.append("BOT_TOKEN: required")
        if not self.provider_url:
            lines.append("PROVIDER_URL: required")
        if self.provider_key is None or not self.provider_key.get_secret_value():
            lines.append("PROVIDER_KEY: required")
        if self.webhook_url and self.webhook_secret is None:
            lines.append("WEBHOOK_SECRET: required when WEBHOOK_URL is set")
        return lines


def _plain(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


RUN_REQUIRED = ("BOT_TOKEN", "PROVIDER_URL", "PROVIDER_KEY")


def _present(name: str) -> bool:
    if os.environ.get(name, os.environ.get(name.lower(), "")).strip():
        return True
    if not Path(".env").is_file():
        return False
    return bool((dotenv_values(".env").get(name) or "").strip())


def load_config(*, for_run: bool = False, **overrides: Any) -> Config:
    """The configuration from the environment; raises ConfigError with one line per bad field.

    `for_run` also requires what a real deployment needs (the demo brings its own).
    """
    try:
        config = Config(**overrides)
    except ValidationError as exc:
        lines = []
        failed = set()
        for error in exc.errors(include_input=False):
            message = _plain(error["msg"])
            if message.startswith(PANEL_LINES):
                lines += message.removeprefix(PANEL_LINES).splitlines()
                continue
            field = ".".join(str(part) for part in error["loc"]).upper() or "SETTINGS"
            failed.add(field)
            lines.append(f"{field}: {message}")
        if for_run:
            lines += [
                f"{name}: required"
                for name in RUN_REQUIRED
                if name not in failed and name.lower() not in overrides and not _present(name)
            ]
        raise ConfigError(lines) from None
    if for_run and (missing := config.missing_for_run()):
        raise ConfigError(missing)
    return config
