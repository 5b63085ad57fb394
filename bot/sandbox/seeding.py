"""Bulk seeding of active orders for benchmarks and tests about many orders.

Rows are priced like a real checkout (from a Draft) and placed at the simulator, but no
wallet is debited: only for measuring or testing the order pipeline, never the money.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.shop.enums import OrderState
from bot.shop.orders.models import Draft


def active_order_row(
    draft: Draft,
    form: dict[str, str],
    *,
    user_id: int,
    token: str,
    service_id: int,
    provider_id: int | None,
    provider_order_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Values of one `orders` row already accepted by the panel (state `active`)."""
    return {
        "user_id": user_id,
        "checkout_token": token,
        "service_id": service_id,
        "provider_id": provider_id,
        "provider_service_id": form["service"],
        "service_name": draft.service_name,
        "service_type": draft.service_type,
        "category": draft.category,
        "rate": draft.rate,
        "link": form["link"],
        "fields": form,
        "quantity": draft.quantity,
        "charge": draft.charge,
        "cost": draft.cost,
        "currency": draft.currency,
        "markup": 0,
        "refunded": 0,
        "state": OrderState.ACTIVE,
        "provider_order_id": provider_order_id,
        "created_at": now,
        "updated_at": now,
    }
