"""The Config follows the runtime contract; bad values stop start-up with plain lines."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

CONTRACT = [
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "PROVIDER_URL",
    "PROVIDER_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ADMIN_IDS",
    "OPERATOR_CHAT_ID",
    "DEFAULT_LOCALE",
    "SHOP_CURRENCY",
    "CURRENCY_RATE",
    "MARKUP_PERCENT",
    "POLL_INTERVAL_SECONDS",
    "NOTIFY_RATE_PER_SECOND",
    "STARS_RATE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_PORT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CONTRACT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    s = load_config()
    assert s.database_url == "sqlite+aiosqlite:///data/bot.sqlite3"
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.shop_currency == "USD" and s.currency_rate == Decimal(1)
    assert s.markup_percent == Decimal(30) and s.poll_interval_seconds == 60
    assert s.notify_rate_per_second == 25 and s.default_locale == "en"
    assert s.admin_ids == frozenset() and s.redis_url is None and s.webhook_url is None
    assert s.missing_for_run() == [
        "BOT_TOKEN: required",
        "PROVIDER_URL: required",
        "PROVIDER_KEY: required",
    ]


def test_every_contract_variable_is_a_field() -> None:
    from bot.config import Config

    assert {name.lower() for name in CONTRACT} <= set(Config.model_fields)


def test_values_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 10, 20 ,")
    monkeypatch.setenv("PROVIDER_URL", "https://panel.example/api/v2")
    monkeypatch.setenv("PROVIDER_KEY", "k-123456")
    monkeypatch.setenv("SHOP_CURRENCY", "eur")
    monkeypatch.setenv("CURRENCY_RATE", "0.92")
    s = load_config()
    assert s.admin_ids == {10, 20} and s.shop_currency == "EUR"
    assert s.currency_rate == Decimal("0.92")
    assert "k-123456" not in repr(s) and "k-123456" not in str(s)


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MARKUP_PERCENT=45\nOPERATOR_CHAT_ID=-100123\n")
    s = load_config()
    assert s.markup_percent == 45 and s.operator_chat_id == -100123


def test_bad_values_one_plain_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDER_URL", "panel.example")
    monkeypatch.setenv("ADMIN_IDS", "1,bob")
    monkeypatch.setenv("MARKUP_PERCENT", "-5")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError) as info:
        load_config()
    lines = info.value.lines
    assert "PROVIDER_URL: not a URL" in lines
    assert any(line.startswith("ADMIN_IDS: ") for line in lines)
    assert any(line.startswith("MARKUP_PERCENT: ") for line in lines)
    assert any(line.startswith("DATABASE_URL: ") for line in lines)
    assert len(lines) == 4


def test_bad_config_stops_start_up_without_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PROVIDER_URL": "nope", "PROVIDER_KEY": "secret-key-1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "PROVIDER_URL: not a URL" in done.stderr
    assert "BOT_TOKEN: required" in done.stderr
    assert "Traceback" not in done.stderr and "secret-key-1" not in done.stderr


PANEL_ENV = (
    "PROVIDERS",
    "PROVIDER_BACKUP_URL",
    "PROVIDER_BACKUP_KEY",
    "PROVIDER_BACKUP_CURRENCY_RATE",
    "PROVIDER_BACKUP_TIMEOUT_SECONDS",
    "PROVIDER_CHEAP_URL",
    "PROVIDER_CHEAP_KEY",
)


@pytest.fixture
def panel_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PANEL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROVIDER_URL", "https://main.example/api/v2")
    monkeypatch.setenv("PROVIDER_KEY", "main-key-0001")
    return monkeypatch


def test_more_panels_from_the_environment(panel_env: pytest.MonkeyPatch) -> None:
    panel_env.setenv("PROVIDERS", " backup , cheap,backup")
    panel_env.setenv("PROVIDER_BACKUP_URL", "https://backup.example/api/v2")
    panel_env.setenv("PROVIDER_BACKUP_KEY", "backup-key-0002")
    panel_env.setenv("PROVIDER_BACKUP_CURRENCY_RATE", "92.5")
    panel_env.setenv("PROVIDER_BACKUP_TIMEOUT_SECONDS", "15")
    panel_env.setenv("PROVIDER_CHEAP_URL", "http://cheap.example/api/v2")
    panel_env.setenv("PROVIDER_CHEAP_KEY", "cheap-key-0003")
    panel_env.setenv("CURRENCY_RATE", "0.9")
    s = load_config()
    assert s.providers == ("backup", "cheap")
    main, backup, cheap = s.panels
    assert (main.name, main.url, main.currency_rate) == (
        "main",
        "https://main.example/api/v2",
        Decimal("0.9"),
    )
    assert (backup.name, backup.currency_rate, backup.timeout_seconds) == (
        "backup",
        Decimal("92.5"),
        15,
    )
    assert backup.key.get_secret_value() == "backup-key-0002"
    assert (cheap.currency_rate, cheap.timeout_seconds) == (Decimal("0.9"), 30)  # defaults
    for key in ("main-key-0001", "backup-key-0002", "cheap-key-0003"):
        assert key not in repr(s) and key not in repr(s.panels)


def test_panel_variables_from_env_file(panel_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "PROVIDERS=backup\nPROVIDER_BACKUP_URL=https://b.example/api/v2\nPROVIDER_BACKUP_KEY=k2\n"
    )
    s = load_config()
    assert [p.name for p in s.panels] == ["main", "backup"]


def test_bad_panel_values_one_line_per_field(panel_env: pytest.MonkeyPatch) -> None:
    panel_env.setenv("PROVIDERS", "backup,cheap")
    panel_env.setenv("PROVIDER_BACKUP_URL", "backup.example")
    panel_env.setenv("PROVIDER_BACKUP_KEY", "backup-key-0002")
    panel_env.setenv("PROVIDER_BACKUP_CURRENCY_RATE", "-1")
    panel_env.setenv("PROVIDER_BACKUP_TIMEOUT_SECONDS", "abc")
    panel_env.setenv("PROVIDER_CHEAP_URL", "https://cheap.example/api/v2")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert info.value.lines == [
        "PROVIDER_BACKUP_URL: not a URL",
        "PROVIDER_BACKUP_CURRENCY_RATE: a positive number",
        "PROVIDER_BACKUP_TIMEOUT_SECONDS: a number of seconds above 0, at most 600",
        "PROVIDER_CHEAP_KEY: required",
    ]
    assert "backup-key-0002" not in str(info.value)


@pytest.mark.parametrize("names", ["Backup", "main", "bad-name", "x" * 21])
def test_panel_names(panel_env: pytest.MonkeyPatch, names: str) -> None:
    panel_env.setenv("PROVIDERS", names)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert len(info.value.lines) == 1 and info.value.lines[0].startswith("PROVIDERS: ")


@pytest.mark.parametrize("value", ["24", "-1", "9am", "٣", "1.5"])
def test_a_bad_daily_report_hour_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DAILY_REPORT_HOUR", value)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert info.value.lines == [
        "DAILY_REPORT_HOUR: an hour from 0 to 23 (UTC), or unset for no daily report"
    ]


def test_daily_report_hour_and_required_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_config().daily_report_hour is None
    monkeypatch.setenv("DAILY_REPORT_HOUR", " 0 ")
    monkeypatch.setenv("REQUIRED_CHANNEL", "@shop_news")
    config = load_config()
    assert config.daily_report_hour == 0 and config.required_channel == "@shop_news"
    monkeypatch.setenv("REQUIRED_CHANNEL", "shop_news")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert info.value.lines == [
        "REQUIRED_CHANNEL: a public channel's @username, such as @myshop_news"
    ]
