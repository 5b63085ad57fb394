"""The order form: the customer's fields checked and typed into the service type's `add`
request, and the units the order is priced for, checked against the service's range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.numbers import parse_whole
from bot.provider.models import ServiceType
from bot.provider.requests import INPUT_KINDS, REQUEST_TYPES, AddRequest, InputKind, InvalidRequest
from bot.shop.errors import InvalidOrderField, QuantityOutOfRange
from db.models import ServiceRow


@dataclass(slots=True)
class Sized:
    """The units an order is priced for (per run for drip-feed), and how."""

    quantity: int  # per run for drip-feed
    runs: int | None = None
    interval: int | None = None
    flat: bool = False


def build_request(
    service_type: ServiceType, provider_service_id: str, fields: Mapping[str, Any]
) -> AddRequest:
    """The customer's fields as the service type's `add` request, validated; raises
    InvalidOrderField naming the first field that is not allowed or not valid."""
    request_cls = REQUEST_TYPES[service_type]
    kinds = INPUT_KINDS[service_type]
    unknown = sorted(set(fields) - set(kinds))
    if unknown:
        raise InvalidOrderField(unknown[0], "not_allowed")
    values: dict[str, Any] = {}
    for name, value in fields.items():
        values[name] = coerce(name, kinds[name], value)
    request = request_cls(service_id=provider_service_id, **values)
    try:
        request.validate()
    except InvalidRequest as exc:
        raise InvalidOrderField(exc.field_name, exc.reason) from None
    return request


def coerce(name: str, kind: InputKind, value: Any) -> Any:
    """Typed input as the request wants it: text digits to int, ISO text to a date."""
    if value is None:
        return None
    if kind is InputKind.COUNT:
        if isinstance(value, bool):
            raise InvalidOrderField(name, "not_a_number")
        if isinstance(value, int):
            return value
        number = parse_whole(str(value)[:64])
        if number is None:
            raise InvalidOrderField(name, "not_a_number")
        return number
    if kind is InputKind.DATE:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise InvalidOrderField(name, "invalid_date") from None
    if not isinstance(value, str):
        raise InvalidOrderField(name, "not_text")
    return value


def _in_range(value: int, service: ServiceRow, name: str) -> None:
    if not service.min <= value <= service.max:
        raise QuantityOutOfRange(value, service.min, service.max, field=name)


def size_order(service_type: ServiceType, service: ServiceRow, request: AddRequest) -> Sized:
    """How many units the order is priced for, checked against the service's range."""
    if service_type is ServiceType.SUBSCRIPTIONS:
        # Charged up front for the most it can deliver: `max` per post for `posts` posts;
        # what is not used comes back at the end like a partial.
        per_post_min = int(request.min)  # type: ignore[attr-defined]
        per_post_max = int(request.max)  # type: ignore[attr-defined]
        posts = request.posts  # type: ignore[attr-defined]
        _in_range(per_post_min, service, "min")
        _in_range(per_post_max, service, "max")
        if posts is None:
            raise InvalidOrderField("posts", "required")
        return Sized(quantity=per_post_max * posts)
    if service_type.flat_price:
        # Priced per order; the count (comments, or 1) only sizes a partial refund.
        count = getattr(request, "quantity", 1)
        return Sized(quantity=max(int(count), 1), flat=True)
    quantity = int(request.quantity)  # type: ignore[attr-defined]
    _in_range(quantity, service, "quantity")
    runs = getattr(request, "runs", None)
    interval = getattr(request, "interval", None)
    if runs is not None and not service.dripfeed:
        raise InvalidOrderField("runs", "not_dripfeed")
    return Sized(quantity=quantity, runs=runs, interval=interval)


__all__ = ["Sized", "build_request", "coerce", "size_order"]
