"""`python -m bot [run|demo|migrate]`: the one entry point; logging is set up here, once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging


def _secrets(settings: Settings) -> list[str]:
    values = [settings.bot_token, settings.provider_key, settings.webhook_secret]
    return [v.get_secret_value() for v in values if v is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "demo", "migrate"],
        help="run: the bot against Telegram and your panel; demo: the built-in sandbox; "
        "migrate: upgrade the database to the latest schema",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(for_run=args.command == "run")
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, _secrets(settings))
    try:
        if args.command == "migrate":
            from db.migrate import upgrade

            asyncio.run(upgrade(settings.database_url))
        elif args.command == "demo":
            from bot.sandbox.demo import run_demo

            asyncio.run(run_demo(settings))
        else:
            from bot.runner import run_bot

            asyncio.run(run_bot(settings))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
