"""``python -m bot.sandbox.telegram --port 8080 --token 123456:SANDBOX``: run it standalone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .emulator import TelegramEmulator
from .state import DEFAULT_TOKEN


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.telegram",
        description="Telegram Bot API emulator with a web chat (no token, no internet).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help=f"bot token ({DEFAULT_TOKEN})")
    parser.add_argument(
        "--no-limits", action="store_true", help="switch Telegram's limits off (flood, sizes)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emulator = TelegramEmulator(token=args.token, limits=not args.no_limits)
    base = await emulator.start(host=args.host, port=args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print("Telegram Bot API emulator")
    print(f"  web chat:  {base}/")
    print(f"  Bot API:   {base}/bot{args.token}/getMe")
    print(f"  for the bot: TELEGRAM_API_URL={base} BOT_TOKEN={args.token}")
    print(f"  limits:    {'off' if args.no_limits else 'on'}   (Ctrl-C stops)", flush=True)
    try:
        await stop.wait()
    finally:
        await emulator.stop()
        print("stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
