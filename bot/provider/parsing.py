"""Turn what panels send back into typed results, surviving the quirks of real panels.

Every function takes decoded JSON of any shape and returns a typed result or raises
`ProviderError` (the panel said no) or `ProviderUnavailable` (the reply makes no sense).
Nothing here may raise KeyError, TypeError or ValueError to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import (
    AddResult,
    Balance,
    CancelResult,
    ItemError,
    OrderState,
    OrderStatus,
    RefillCreated,
    RefillState,
    RefillStatus,
    Service,
    ServiceType,
)

log = logging.getLogger(__name__)


class MalformedReply(Exception):
    """A value of the wrong shape; turned into ProviderUnavailable at the boundary."""


def error_text(value: Any) -> str | None:
    """The panel's error message when `value` is an error reply, else None."""
    if isinstance(value, Mapping) and "error" in value:
        err = value["error"]
        return err if isinstance(err, str) else str(err)
    return None


def raise_for_error(data: Any, action: str) -> None:
    text = error_text(data)
    if text is not None:
        raise ProviderError(text or "unspecified error", action=action)


def _id(value: Any) -> str:
    """Provider ids arrive as strings or numbers; keep them as strings."""
    if isinstance(value, bool) or value is None:
        raise MalformedReply(f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise MalformedReply(f"not an id: {value!r}")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise MalformedReply(f"not a number: {value!r}")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str | int | float) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise MalformedReply(f"not a number: {value!r}")
    return number


def _int(value: Any) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise MalformedReply(f"not a whole number: {value!r}")
    return int(number)


def _optional_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _int(value)


def _optional_decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _decimal(value)


def _flag(value: Any) -> bool:
    """Panels send true/false, 1/0, "1"/"0", "true"; missing means false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().casefold() in {"1", "true", "yes", "on"}
    return False


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _unavailable(action: str, why: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"unexpected reply shape: {why}", action=action)


# --- services ---------------------------------------------------------------


def parse_service(item: Any) -> Service:
    if not isinstance(item, Mapping):
        raise MalformedReply("service entry is not an object")
    type_name = _text(item.get("type")) or ServiceType.DEFAULT.value
    minimum = _int(item.get("min", 1))
    maximum = _int(item.get("max", minimum))
    rate = _decimal(item.get("rate"))
    if rate < 0 or minimum < 0 or maximum < minimum:
        raise MalformedReply(f"impossible rate or range: {rate} {minimum}..{maximum}")
    return Service(
        service_id=_id(item.get("service")),
        name=_text(item.get("name")) or f"Service {item.get('service')}",
        type_name=type_name,
        type=ServiceType.parse(type_name),
        category=_text(item.get("category")) or "Other",
        rate=rate,
        min=minimum,
        max=maximum,
        refill=_flag(item.get("refill")),
        cancel=_flag(item.get("cancel")),
        dripfeed=_flag(item.get("dripfeed")),
        description=_text(item.get("desc")) or _text(item.get("description")),
    )


def parse_services(data: Any) -> list[Service]:
    raise_for_error(data, "services")
    if isinstance(data, Mapping):
        # Some panels send an empty catalogue as {"status": "success", "data": "Empty Data"}.
        inner = data.get("data")
        if isinstance(inner, list):
            data = inner
        elif not inner or isinstance(inner, str):
            return []
        else:
            raise _unavailable("services", "an object where a list belongs")
    if not isinstance(data, list):
        raise _unavailable("services", f"{type(data).__name__} where a list belongs")
    services: list[Service] = []
    skipped = 0
    for item in data:
        try:
            services.append(parse_service(item))
        except MalformedReply as exc:
            # One broken entry must not hide a whole catalogue.
            skipped += 1
            log.warning("skipping a malformed service entry: %s", exc)
    if data and not services:
        raise _unavailable("services", "no entry could be read")
    if skipped:
        log.warning("services: %d of %d entries skipped", skipped, len(data))
    return services


# --- orders -----------------------------------------------------------------


def parse_order_state(order_id: str, data: Any) -> OrderState:
    if not isinstance(data, Mapping) or "status" not in data:
        raise MalformedReply("status entry without a status")
    raw = data["status"]
    if not isinstance(raw, str | int):
        raise MalformedReply(f"status is {type(raw).__name__}")
    raw_status = str(raw).strip()
    currency = data.get("currency")
    return OrderState(
        order_id=order_id,
        status=OrderStatus.parse(raw_status),
        raw_status=raw_status,
        charge=_optional_decimal(data.get("charge")),
        start_count=_optional_int(data.get("start_count")),
        remains=_optional_int(data.get("remains")),
        currency=currency.strip() if isinstance(currency, str) and currency.strip() else None,
    )


def parse_status(order_id: str, data: Any) -> OrderState:
    raise_for_error(data, "status")
    try:
        return parse_order_state(order_id, data)
    except MalformedReply as exc:
        raise _unavailable("status", str(exc)) from None


def parse_statuses(ids: list[str], data: Any) -> dict[str, OrderState | ItemError]:
    """Per-id results; an item error (object or bare string) is a value, not an exception."""
    if isinstance(data, Mapping) and "error" in data and len(data) == 1:
        raise_for_error(data, "status")
    if isinstance(data, Mapping) and "status" in data and len(ids) == 1:
        # With one id some panels answer the flat single-order object.
        return {ids[0]: parse_status(ids[0], data)}
    if not isinstance(data, Mapping):
        raise _unavailable("status", f"{type(data).__name__} where an object belongs")
    by_id = {str(key).strip(): value for key, value in data.items()}
    results: dict[str, OrderState | ItemError] = {}
    for order_id in ids:
        if order_id not in by_id:
            results[order_id] = ItemError("missing from the reply")
            continue
        results[order_id] = _status_item(order_id, by_id[order_id])
    return results


def _status_item(order_id: str, item: Any) -> OrderState | ItemError:
    if isinstance(item, str):
        return ItemError(item.strip() or "unspecified error")
    text = error_text(item)
    if text is not None:
        return ItemError(text or "unspecified error")
    try:
        return parse_order_state(order_id, item)
    except MalformedReply as exc:
        return ItemError(f"unreadable status: {exc}")


def parse_add(data: Any) -> AddResult:
    """Raises ProviderError on refusal; MalformedReply when the reply names no order."""
    raise_for_error(data, "add")
    if not isinstance(data, Mapping) or "order" not in data:
        raise MalformedReply("add reply without an order id")
    return AddResult(order_id=_id(data["order"]))


# --- refills and cancels ----------------------------------------------------


def parse_refill(order_id: str, data: Any) -> RefillCreated:
    raise_for_error(data, "refill")
    try:
        if not isinstance(data, Mapping) or "refill" not in data:
            raise MalformedReply("refill reply without a refill id")
        return RefillCreated(order_id=order_id, refill_id=_id(data["refill"]))
    except MalformedReply as exc:
        raise _unavailable("refill", str(exc)) from None


def _list_of_objects(data: Any, action: str) -> Iterable[Mapping[str, Any]]:
    raise_for_error(data, action)
    if isinstance(data, Mapping):
        data = [data]  # a single object where a one-item list belongs
    if not isinstance(data, list):
        raise _unavailable(action, f"{type(data).__name__} where a list belongs")
    return [item for item in data if isinstance(item, Mapping)]


def _item_value_error(value: Any) -> ItemError | None:
    if isinstance(value, str) and not value.strip().isdigit():
        return ItemError(value.strip() or "unspecified error")
    text = error_text(value)
    return ItemError(text or "unspecified error") if text is not None else None


def parse_refills(ids: list[str], data: Any) -> dict[str, RefillCreated | ItemError]:
    results: dict[str, RefillCreated | ItemError] = {}
    for item in _list_of_objects(data, "refill"):
        try:
            order_id = _id(item.get("order"))
            value = item.get("refill")
            error = _item_value_error(value)
            results[order_id] = error or RefillCreated(order_id=order_id, refill_id=_id(value))
        except MalformedReply as exc:
            log.warning("refill: skipping an unreadable item: %s", exc)
    for order_id in ids:
        results.setdefault(order_id, ItemError("missing from the reply"))
    return results


def parse_refill_status(refill_id: str, data: Any) -> RefillState:
    raise_for_error(data, "refill_status")
    raw = data.get("status") if isinstance(data, Mapping) else None
    if not isinstance(raw, str):
        raise _unavailable("refill_status", "no status in the reply")
    return RefillState(refill_id=refill_id, status=RefillStatus.parse(raw), raw_status=raw)


def parse_refill_statuses(ids: list[str], data: Any) -> dict[str, RefillState | ItemError]:
    results: dict[str, RefillState | ItemError] = {}
    for item in _list_of_objects(data, "refill_status"):
        try:
            refill_id = _id(item.get("refill"))
        except MalformedReply as exc:
            log.warning("refill_status: skipping an unreadable item: %s", exc)
            continue
        raw = item.get("status")
        text = error_text(raw)
        if text is not None:
            results[refill_id] = ItemError(text or "unspecified error")
        elif isinstance(raw, str) and raw.strip():
            results[refill_id] = RefillState(refill_id, RefillStatus.parse(raw), raw.strip())
        else:
            results[refill_id] = ItemError("unreadable refill status")
    for refill_id in ids:
        results.setdefault(refill_id, ItemError("missing from the reply"))
    return results


def parse_cancels(ids: list[str], data: Any) -> dict[str, CancelResult]:
    results: dict[str, CancelResult] = {}
    for item in _list_of_objects(data, "cancel"):
        try:
            order_id = _id(item.get("order"))
        except MalformedReply as exc:
            log.warning("cancel: skipping an unreadable item: %s", exc)
            continue
        value = item.get("cancel")
        error = _item_value_error(value)
        if error is not None:
            results[order_id] = CancelResult(order_id, accepted=False, error=error.message)
        else:
            results[order_id] = CancelResult(order_id, accepted=_flag(value))
    for order_id in ids:
        results.setdefault(order_id, CancelResult(order_id, False, "missing from the reply"))
    return results


def parse_balance(data: Any) -> Balance:
    raise_for_error(data, "balance")
    try:
        if not isinstance(data, Mapping):
            raise MalformedReply("balance reply is not an object")
        currency = data.get("currency")
        return Balance(
            balance=_decimal(data.get("balance")),
            currency=currency.strip() if isinstance(currency, str) else "",
        )
    except MalformedReply as exc:
        raise _unavailable("balance", str(exc)) from None
