"""The collector, told what start-up made.

By the time the bot takes updates it holds a few hundred thousand long-lived objects
(modules, pydantic schemas, SQLAlchemy's mappers and compiled statements, the catalogue).
Python's collector walks every one of them on each full collection: in a busy shop those
walks took a tenth of the time, up to 300 ms at a stroke, while every chat waited.
`settle()` collects once and moves the survivors out of its sight (gc.freeze): later
collections walk only what updates made.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once start-up is done, before the first update."""
    gc.collect()
    gc.freeze()


__all__ = ["settle"]
