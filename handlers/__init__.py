"""aiogram routers, one package per feature; `create_routers()` builds them fresh each time."""

from __future__ import annotations

from aiogram import Router


def create_routers() -> list[Router]:
    """In the order they must be tried: commands and flows before search and fallback."""
    from handlers.admin import router as admin
    from handlers.channel import router as channel
    from handlers.common import errors
    from handlers.common.routing import inline_filters, narrow_callbacks
    from handlers.menu import router as menu
    from handlers.ordering import form as order_form
    from handlers.orders import my_orders, notices
    from handlers.storefront import catalog, fallback, start
    from handlers.support import operators as support_operators
    from handlers.support import router as support
    from handlers.wallet import balance, payments, promo, referral

    routers = [
        errors.create_router(),
        # Replies in the operators' chat answer support tickets: before anything else
        # could take a message there (the menu's greetings, search, the fallback).
        support_operators.create_router(),
        # The persistent menu's buttons leave any flow (a top-up amount, an order form).
        menu.create_router(),
        # Payments before every flow (admin flows too): a payment is credited whatever
        # state the chat is in. It takes only payment updates, its commands and its state.
        payments.create_router(),
        # Admin commands before every customer router; for non-admins they fall through.
        admin.create_router(),
        channel.create_router(),
        # /support and its flow: before the order form and search take text.
        support.create_router(),
        start.create_router(),
        order_form.create_router(),
        my_orders.create_router(),
        notices.create_router(),
        balance.create_router(),
        referral.create_router(),
        promo.create_router(),
        catalog.create_router(),
        fallback.create_router(),
    ]
    return [inline_filters(narrow_callbacks(router)) for router in routers]
