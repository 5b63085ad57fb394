"""aiogram routers, one module per feature; `create_routers()` builds them fresh each time."""

from __future__ import annotations

from aiogram import Router


def create_routers() -> list[Router]:
    """In the order they must be tried: commands and flows before search and fallback."""
    from handlers import (
        admin,
        catalog,
        errors,
        fallback,
        order_flow,
        orders,
        payments,
        promo,
        referral,
        start,
        wallet,
    )

    return [
        errors.create_router(),
        # Payments before every flow (admin flows too): a payment is credited whatever
        # state the chat is in. It takes only payment updates, its commands and its state.
        payments.create_router(),
        # Admin commands before every customer router; for non-admins they fall through.
        admin.create_router(),
        start.create_router(),
        order_flow.create_router(),
        orders.create_router(),
        wallet.create_router(),
        referral.create_router(),
        promo.create_router(),
        catalog.create_router(),
        fallback.create_router(),
    ]
