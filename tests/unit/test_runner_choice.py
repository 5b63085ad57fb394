"""`python -m bot run` picks the runner by WEBHOOK_URL: webhook mode when it is set, else
polling (the runners themselves are tested end to end in tests/e2e/test_webhook.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

import bot.runners.polling
import bot.runners.webhook
from bot.__main__ import _run
from bot.app import Application
from bot.config import Config


@pytest.mark.parametrize(
    ("webhook_url", "runner"), [(None, "polling"), ("https://shop.example/tg", "webhook")]
)
async def test_the_runner_follows_webhook_url(
    monkeypatch: pytest.MonkeyPatch, webhook_url: str | None, runner: str
) -> None:
    settings = Config(
        bot_token=SecretStr("1:T"),
        webhook_url=webhook_url,
        webhook_secret=SecretStr("secret") if webhook_url else None,
        _env_file=None,  # type: ignore[call-arg]
    )
    built = object()
    ran: list[tuple[str, Any]] = []

    async def create(cls: type[Application], given: Config) -> Any:
        assert given is settings
        return built

    async def polling(app: Any) -> None:
        ran.append(("polling", app))

    async def webhook(app: Any) -> None:
        ran.append(("webhook", app))

    monkeypatch.setattr(Application, "create", classmethod(create))
    monkeypatch.setattr(bot.runners.polling, "run_polling", polling)
    monkeypatch.setattr(bot.runners.webhook, "run_webhook", webhook)
    await _run(settings)
    assert ran == [(runner, built)]
