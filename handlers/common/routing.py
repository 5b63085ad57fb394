"""How updates find their handler: sync filters run inline, and button presses go
straight to the routers that can take them.

aiogram runs every filter that is a plain function (a magic `F` filter, a `State`, a
predicate) in a worker thread (`asyncio.to_thread`), a hand-off costing more than the
check: a text message passed a dozen of them on its way down the tree, and the threads'
round trips were most of the dispatcher's time. Every filter here is a pure, quick test
of the update (no I/O), so `inline_filters` makes them run in the event loop.

aiogram tries a callback query on every handler of every router in turn, each unpacking
the data with its own callback class: a press near the end of the tree was tried about
thirty times, most of a browsing update's time in the dispatcher. A router whose every
button handler (its sub-routers' too) names a callback class gets one filter in front:
the data's prefix must be one of those classes' prefixes, or the whole router is skipped
at once. A router with a handler for any press (the fallback's stale buttons) is left as
it is, so nothing a handler would have taken is turned away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


def _inline(check: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return run


def _run_inline(callable_object: CallableObject) -> None:
    # aiogram read the parameters off the original function already (it passes only
    # those): only how it is awaited changes.
    if not callable_object.awaitable:
        callable_object.callback = _inline(callable_object.callback)
        callable_object.awaitable = True


def inline_filters(router: Router) -> Router:
    """Run the router's sync filters (its sub-routers' too) in the event loop."""
    for observer in router.observers.values():
        for root in observer._handler.filters or ():
            _run_inline(root)
        for handler in observer.handlers:
            for each in handler.filters or ():
                _run_inline(each)
    for sub in router.sub_routers:
        inline_filters(sub)
    return router


class CallbackPrefixes(Filter):
    """Passes a callback query whose data begins with one of the (separator, prefix)."""

    def __init__(self, prefixes: frozenset[tuple[str, str]]) -> None:
        self.prefixes = prefixes
        self.separators = frozenset(separator for separator, _ in prefixes)

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data
        if not data:
            return False
        return any(
            (separator, data.split(separator, 1)[0]) in self.prefixes
            for separator in self.separators
        )

    def __str__(self) -> str:
        return f"CallbackPrefixes({sorted(p for _, p in self.prefixes)})"


def callback_prefixes(router: Router) -> frozenset[tuple[str, str]] | None:
    """Every (separator, prefix) the router's button handlers can take, sub-routers
    included; None when one of them takes a press of any data."""
    found: set[tuple[str, str]] = set()
    for handler in router.callback_query.handlers:
        named = [
            f.callback for f in handler.filters or () if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not named:
            return None
        # A handler's filters must all pass: any one callback class bounds it.
        data_class = named[0].callback_data
        found.add((data_class.__separator__, data_class.__prefix__))
    for sub in router.sub_routers:
        inner = callback_prefixes(sub)
        if inner is None:
            return None
        found |= inner
    return frozenset(found)


def narrow_callbacks(router: Router) -> Router:
    """Put the prefix filter in front of the router's button handlers, where it can."""
    prefixes = callback_prefixes(router)
    if prefixes is not None:
        router.callback_query.filter(CallbackPrefixes(prefixes))
    return router


__all__ = ["CallbackPrefixes", "callback_prefixes", "inline_filters", "narrow_callbacks"]
