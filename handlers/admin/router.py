"""The admin router: every admin area behind the admin gate, the commands before the flows
that wait for free text."""

from __future__ import annotations

from aiogram import Router

from handlers.admin import (
    broadcast,
    catalogue,
    customers,
    exports,
    menu,
    money_confirm,
    orders,
    stats,
)
from handlers.admin.common import refusing_router


def create_router() -> Router:
    router = refusing_router("admin")
    for area in (menu, stats, customers, money_confirm, catalogue, orders, broadcast, exports):
        router.include_router(area.create_router())
    return router
