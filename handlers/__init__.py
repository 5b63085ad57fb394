"""aiogram routers, one module per feature; `create_routers()` builds them fresh each time."""

from __future__ import annotations

from aiogram import Router


def create_routers() -> list[Router]:
    """In the order they must be tried: commands and flows before search and fallback."""
    from handlers import catalog, errors, fallback, order_flow, orders, start, wallet

    return [
        errors.create_router(),
        start.create_router(),
        order_flow.create_router(),
        orders.create_router(),
        wallet.create_router(),
        catalog.create_router(),
        fallback.create_router(),
    ]
