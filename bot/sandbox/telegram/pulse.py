"""Pulse: how the emulator's waiters (long polls, tests) learn that something happened."""

from __future__ import annotations

import asyncio
import contextlib


class Pulse:
    """Wakes every waiter when fired; checking state and waiting never race on one loop."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float | None) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
