"""`python -m bot [run|demo|migrate|healthcheck]`: the one entry point; logging is set up
here, once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Config, ConfigError, load_config
from bot.logs import setup_logging


def _secrets(settings: Config) -> list[str]:
    values = [settings.bot_token, settings.provider_key, settings.webhook_secret]
    return [v.get_secret_value() for v in values if v is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "demo", "migrate", "healthcheck"],
        help="run: the bot against Telegram and your panel; demo: the built-in sandbox; "
        "migrate: upgrade the database to the latest schema; healthcheck: ask the running "
        "bot's GET /healthz (exit 0 when healthy, for Docker's HEALTHCHECK)",
    )
    args = parser.parse_args(argv)
    if args.command == "healthcheck":
        return _healthcheck()
    try:
        settings = load_config(for_run=args.command == "run")
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, _secrets(settings))
    try:
        if args.command == "migrate":
            from bot.migrations import migrate

            asyncio.run(migrate(settings.database_url))
        elif args.command == "demo":
            from bot.sandbox.demo import run_demo

            asyncio.run(run_demo(settings))
        else:
            asyncio.run(_run(settings))
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:  # found at start-up (e.g. REQUIRED_CHANNEL): one line each
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    return 0


async def _run(settings: Config) -> None:
    """Webhook mode when WEBHOOK_URL is set, else polling."""
    from bot.app import Application

    app = await Application.create(settings)
    if settings.webhook_url:
        from bot.runners.webhook import run_webhook

        await run_webhook(app)
    else:
        from bot.runners.polling import run_polling

        await run_polling(app)


def _healthcheck() -> int:
    """Quick and quiet: no logging set up, no aiogram imported."""
    from bot.health import healthcheck

    try:
        settings = load_config()
    except ConfigError as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return 1
    return healthcheck(settings)


if __name__ == "__main__":
    sys.exit(main())
