"""Benchmark: `statuses()` of 10,000 orders against the provider simulator over HTTP.

Prints the number of HTTP calls (must be 100: one per 100 ids) and the time taken.
Run: .venv/bin/python bench/provider_status.py [--orders 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from decimal import Decimal

from bot.clock import FakeClock
from bot.provider.client import ProviderClient
from bot.provider.models import OrderState, ServiceType
from bot.provider.requests import DefaultAdd
from bot.sandbox.provider import ProviderSimulator


async def main(orders: int, concurrency: int) -> None:
    clock = FakeClock()
    sim = ProviderSimulator(key="bench-key", clock=clock, balance=Decimal("10000000"))
    url = await sim.start()
    try:
        async with ProviderClient(url, "bench-key", concurrency=concurrency) as client:
            service = sim.find_service(ServiceType.DEFAULT)
            gate = asyncio.Semaphore(32)

            async def place(i: int) -> str:
                async with gate:
                    request = DefaultAdd(
                        str(service.service_id),
                        link=f"https://instagram.com/p/{i}",
                        quantity=service.min,
                    )
                    return (await client.add(request)).order_id

            started = time.perf_counter()
            ids = await asyncio.gather(*(place(i) for i in range(orders)))
            placing = time.perf_counter() - started
            clock.advance(minutes=5)

            before = sim.calls["status"]
            started = time.perf_counter()
            results = await client.statuses(ids)
            elapsed = time.perf_counter() - started
            calls = sim.calls["status"] - before
            ok = sum(isinstance(r, OrderState) for r in results.values())
    finally:
        await sim.stop()
    print(f"orders placed:        {orders} ({placing:.1f}s to set up)")
    print(f"statuses() HTTP calls: {calls} (expected {-(-orders // 100)})")
    print(
        f"statuses() time:       {elapsed:.3f}s at concurrency {concurrency} "
        f"({orders / elapsed:,.0f} orders/s)"
    )
    print(f"statuses read:         {ok}/{orders}")
    if calls != -(-orders // 100) or ok != orders:
        raise SystemExit("unexpected result")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.concurrency))
