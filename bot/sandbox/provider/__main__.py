"""`python -m bot.sandbox.provider`: run the simulated panel alone, on the system clock."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from decimal import Decimal
from pathlib import Path

from .dialects import Dialect, parse_dialects
from .saved_state import StateFileError, StateKeeper, read_books, restore
from .simulator import ProviderSimulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.provider",
        description="A local SMM panel speaking API v2 (POST /api/v2), with sandbox "
        "controls at GET /sandbox/state, POST /sandbox/faults, /sandbox/script.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to bind, 0 for any (8081)")
    parser.add_argument("--key", default="sandbox-key", help="the API key clients must send")
    parser.add_argument("--seed", type=int, default=1, help="seed of catalogue and outcomes")
    parser.add_argument(
        "--balance", type=Decimal, default=Decimal("1000"), help="starting account balance (1000)"
    )
    parser.add_argument("--currency", default="USD", help="account currency (USD)")
    parser.add_argument(
        "--dialect",
        action="append",
        default=[],
        metavar="NAME",
        help="speak like some real panels do (repeatable, or comma-separated): "
        + ", ".join(d.value for d in Dialect),
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep orders, refills, balance and numbering in this JSON file across restarts",
    )
    args = parser.parse_args(argv)
    try:
        args.dialects = parse_dialects(args.dialect)
    except ValueError as exc:
        parser.error(str(exc))
    return args


async def serve(args: argparse.Namespace) -> None:
    sim = ProviderSimulator(
        key=args.key,
        seed=args.seed,
        balance=args.balance,
        currency=args.currency,
        dialects=args.dialects,
    )
    keeper = StateKeeper(sim, args.state) if args.state is not None else None
    if keeper is not None:
        try:
            restore(sim, read_books(keeper.path))
            print(f"Provider simulator: restored from {keeper.path} (orders: {len(sim.orders)})")
        except StateFileError as error:
            print(f"Provider simulator: starting fresh, nothing restored ({error})")
        keeper.save(force=True)
        keeper.start()
    url = await sim.start(args.host, args.port)
    spoken = ", ".join(sorted(sim.dialects)) or "standard"
    print(f"Provider simulator ({spoken} dialect) listening: {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on Windows: Ctrl-C then arrives as KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        if keeper is not None:
            await keeper.stop()
        await sim.stop()
        print("Provider simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
