"""The admin router: every admin area behind the admin gate, the commands before the flows
that wait for free text."""

from __future__ import annotations

from aiogram import Router

from handlers.admin import (
    backups,
    broadcast,
    catalogue,
    customers,
    exports,
    menu,
    money_confirm,
    orders,
    panels,
    stats,
)
from handlers.admin.common import refusing_router
from handlers.support import admin as tickets


def create_router() -> Router:
    router = refusing_router("admin")
    areas = (menu, stats, customers, money_confirm, catalogue, backups, panels, orders)
    for area in (*areas, tickets, broadcast, exports):
        router.include_router(area.create_router())
    return router
