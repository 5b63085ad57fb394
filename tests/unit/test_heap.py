"""Start-up's objects are moved out of the collector's walks (bot/heap.py)."""

from __future__ import annotations

import gc
import weakref

from bot import heap


def test_settle_collects_then_freezes_what_survives() -> None:
    class Cycle:
        other: object

    garbage = Cycle()
    garbage.other = garbage  # unreachable once dropped, but only a collection frees it
    gone = weakref.ref(garbage)
    del garbage
    kept = [object() for _ in range(100)]
    gc.unfreeze()
    try:
        heap.settle()
        assert gc.get_freeze_count() >= len(kept)
        assert gone() is None  # collected first, not frozen for good
    finally:
        gc.unfreeze()
