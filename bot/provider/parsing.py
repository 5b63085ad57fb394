"""Turn what panels send back into typed results, through the validator (validate.py).

Every function takes decoded JSON of any shape and returns a typed result or raises
`ProviderError` (the panel said no) or `BadReply` (the reply makes no sense). A value
that fails the validator inside a multi reply is an item error for that order, refill or
service, never an exception for its neighbours. Nothing here may raise KeyError,
TypeError or ValueError to the caller, and the work is bounded by the ids asked about
and by MAX_ITEMS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bot.provider import validate as v
from bot.provider.errors import BadReply, ProviderError, account_issue
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
    ServiceListing,
    ServiceType,
)

log = logging.getLogger(__name__)

MAX_SERVICES = 50_000  # a catalogue longer than this is not a catalogue
MAX_ITEMS = 1_000  # items read from a refill or cancel list (the client asks 100 ids)
MISSING = "missing from the reply"

# Kept for callers that catch the old name: a value the validator refused.
MalformedReply = v.Invalid


def error_text(value: Any) -> str | None:
    return v.error_text(value)


def raise_for_error(data: Any, action: str) -> None:
    text = v.error_text(data)
    if text is not None:
        raise ProviderError(text, action=action)


def _bad(action: str, why: str) -> BadReply:
    return BadReply(f"unexpected reply shape: {why}", action=action)


# --- services ---------------------------------------------------------------


def parse_service(item: Any) -> Service:
    if not isinstance(item, Mapping):
        raise v.Invalid("service entry is not an object")
    service_id = v.panel_id(item.get("service"), "service")
    type_name = v.text(item.get("type"), 64) or ServiceType.DEFAULT.value
    minimum = v.whole(item.get("min", 1), "min")
    maximum = v.whole(item.get("max", minimum), "max")
    rate = v.money(item.get("rate"), "rate")
    if maximum < minimum:
        raise v.Invalid(f"impossible range {minimum}..{maximum}")
    return Service(
        service_id=service_id,
        name=v.text(item.get("name"), 200) or f"Service {service_id}",
        type_name=type_name,
        type=ServiceType.parse(type_name),
        category=v.text(item.get("category"), 200) or "Other",
        rate=rate,
        min=minimum,
        max=maximum,
        refill=v.flag(item.get("refill")),
        cancel=v.flag(item.get("cancel")),
        dripfeed=v.flag(item.get("dripfeed")),
        description=v.text(item.get("desc"), 2000) or v.text(item.get("description"), 2000),
        # Some panels say how long the service usually takes; most send nothing.
        average_minutes=v.duration_minutes(item.get("average_time", item.get("avg_time"))),
    )


def parse_services(data: Any) -> ServiceListing:
    """The entries that pass the checks; a bad entry is skipped and counted. An empty
    listing is returned as such: whether to trust it is the catalogue sync's decision."""
    raise_for_error(data, "services")
    if isinstance(data, Mapping):
        # Some panels send an empty catalogue as {"status": "success", "data": "Empty Data"}.
        inner = data.get("data")
        if isinstance(inner, list):
            data = inner
        elif not inner or isinstance(inner, str):
            return ServiceListing(())
        else:
            raise _bad("services", "an object where a list belongs")
    if not isinstance(data, list):
        raise _bad("services", f"{type(data).__name__} where a list belongs")
    if len(data) > MAX_SERVICES:
        raise _bad("services", f"{len(data)} entries")
    services: list[Service] = []
    seen: set[str] = set()
    skipped = 0
    for item in data:
        try:
            service = parse_service(item)
            if service.service_id in seen:
                raise v.Invalid(f"service {service.service_id} listed twice")
        except v.Invalid as exc:
            # One broken entry must not hide (or poison) a whole catalogue.
            skipped += 1
            if skipped <= 20:
                log.warning("services: skipping an entry: %s", exc)
            continue
        seen.add(service.service_id)
        services.append(service)
    if data and not services:
        raise _bad("services", "no entry could be read")
    if skipped:
        log.warning("services: %d of %d entries skipped", skipped, len(data))
    return ServiceListing(tuple(services), skipped)


# --- orders -----------------------------------------------------------------


def parse_order_state(order_id: str, data: Any) -> OrderState:
    """One order's status object; `Invalid` when it cannot be trusted as it is."""
    if not isinstance(data, Mapping) or "status" not in data:
        raise v.Invalid("status entry without a status")
    raw_status = v.status_word(data["status"])
    status = OrderStatus.parse(raw_status)
    remains = v.optional_whole(data.get("remains"), "remains", low=-v.MAX_INT64)
    if status is OrderStatus.PARTIAL and (remains is None or remains < 0):
        raise v.Invalid("Partial without remains" if remains is None else "Partial, remains < 0")
    return OrderState(
        order_id=order_id,
        status=status,
        raw_status=raw_status,
        charge=v.optional_money(data.get("charge"), "charge"),
        start_count=v.optional_whole(data.get("start_count"), "start_count"),
        remains=remains,
        currency=v.currency(data.get("currency")),
        posts=v.optional_whole(data.get("posts"), "posts"),
    )


def parse_status(order_id: str, data: Any) -> OrderState:
    raise_for_error(data, "status")
    try:
        return parse_order_state(order_id, data)
    except v.Invalid as exc:
        raise _bad("status", str(exc)) from None


def _keyed(data: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).strip(): value for key, value in data.items()}


def parse_statuses(ids: list[str], data: Any) -> dict[str, OrderState | ItemError]:
    """Per-id results; an item error (object or bare string) is a value, not an exception.

    With one id some panels answer the flat single-order object, or a flat error object
    ("Too many requests"): the latter is that order's item error, unless it is about the
    shop's account (then it is the whole call's refusal)."""
    if not isinstance(data, Mapping):
        raise _bad("status", f"{type(data).__name__} where an object belongs")
    by_id = _keyed(data) if len(data) <= 4 * len(ids) + 8 else None
    if by_id is None or not any(i in by_id for i in ids):
        text = v.error_text(data)
        if text is not None:
            if len(ids) == 1 and account_issue(text) is None:
                return {ids[0]: ItemError(text)}
            raise ProviderError(text, action="status")
        if len(ids) == 1 and "status" in data:
            return {ids[0]: _status_item(ids[0], data)}
    if by_id is None:
        by_id = {i: data[i] for i in ids if i in data}
    return {i: _status_item(i, by_id[i]) if i in by_id else ItemError(MISSING) for i in ids}


def _status_item(order_id: str, item: Any) -> OrderState | ItemError:
    if isinstance(item, str):
        return ItemError(v.text(item) or "unspecified error")
    text = v.error_text(item)
    if text is not None:
        return ItemError(text)
    try:
        return parse_order_state(order_id, item)
    except v.Invalid as exc:
        return ItemError(f"unreadable status: {exc}", malformed=True)


def parse_add(data: Any) -> AddResult:
    """Raises ProviderError on refusal; `Invalid` when the reply names no order (the
    client makes that an unknown outcome), and also when it names one *and* carries an
    error: the order may exist, so it is never taken as a refusal."""
    text = v.error_text(data)
    order_id: str | None = None
    if isinstance(data, Mapping) and "order" in data:
        try:
            order_id = v.panel_id(data["order"], "order")
        except v.Invalid:
            order_id = None
    if text is not None:
        if order_id is not None:
            raise v.Invalid(f"an order id ({order_id}) and an error ({text}) at once")
        raise ProviderError(text, action="add")
    if order_id is None:
        raise v.Invalid("add reply without a usable order id")
    return AddResult(order_id=order_id)


# --- refills and cancels ----------------------------------------------------


def parse_refill(order_id: str, data: Any) -> RefillCreated:
    raise_for_error(data, "refill")
    try:
        if not isinstance(data, Mapping) or "refill" not in data:
            raise v.Invalid("refill reply without a refill id")
        return RefillCreated(order_id=order_id, refill_id=v.panel_id(data["refill"], "refill"))
    except v.Invalid as exc:
        raise _bad("refill", str(exc)) from None


def _list_of_objects(data: Any, action: str) -> list[Mapping[str, Any]]:
    raise_for_error(data, action)
    if isinstance(data, Mapping):
        data = [data]  # a single object where a one-item list belongs
    if not isinstance(data, list):
        raise _bad(action, f"{type(data).__name__} where a list belongs")
    return [item for item in data[:MAX_ITEMS] if isinstance(item, Mapping)]


def _item_value_error(value: Any) -> ItemError | None:
    """A bare string that is not an id is the item's error ("Incorrect order ID")."""
    if isinstance(value, str):
        try:
            v.panel_id(value)
        except v.Invalid:
            return ItemError(v.text(value) or "unspecified error")
        return None
    text = v.error_text(value)
    return ItemError(text) if text is not None else None


def _item_id(item: Mapping[str, Any], key: str, action: str) -> str | None:
    try:
        return v.panel_id(item.get(key), key)
    except v.Invalid as exc:
        log.warning("%s: skipping an unreadable item: %s", action, exc)
        return None


def parse_refills(ids: list[str], data: Any) -> dict[str, RefillCreated | ItemError]:
    results: dict[str, RefillCreated | ItemError] = {}
    for item in _list_of_objects(data, "refill"):
        order_id = _item_id(item, "order", "refill")
        if order_id is None:
            continue
        value = item.get("refill")
        error = _item_value_error(value)
        if error is None:
            try:
                results[order_id] = RefillCreated(order_id, v.panel_id(value, "refill"))
            except v.Invalid as exc:
                results[order_id] = ItemError(f"unreadable refill: {exc}", malformed=True)
        else:
            results[order_id] = error
    return {i: results.get(i, ItemError(MISSING)) for i in ids}


def _refill_state(refill_id: str, raw: Any) -> RefillState | ItemError:
    text = v.error_text(raw)
    if text is not None:
        return ItemError(text)
    try:
        word = v.status_word(raw)
    except v.Invalid:
        return ItemError("unreadable refill status", malformed=True)
    return RefillState(refill_id, RefillStatus.parse(word), word)


def parse_refill_status(refill_id: str, data: Any) -> RefillState:
    raise_for_error(data, "refill_status")
    raw = data.get("status") if isinstance(data, Mapping) else None
    state = _refill_state(refill_id, raw)
    if isinstance(state, ItemError):
        raise _bad("refill_status", state.message)
    return state


def parse_refill_statuses(ids: list[str], data: Any) -> dict[str, RefillState | ItemError]:
    if isinstance(data, Mapping) and len(ids) == 1 and "refill" not in data and "status" in data:
        # The flat single-refill object for one id.
        raise_for_error(data, "refill_status")
        return {ids[0]: _refill_state(ids[0], data.get("status"))}
    results: dict[str, RefillState | ItemError] = {}
    for item in _list_of_objects(data, "refill_status"):
        refill_id = _item_id(item, "refill", "refill_status")
        if refill_id is not None:
            results[refill_id] = _refill_state(refill_id, item.get("status"))
    return {i: results.get(i, ItemError(MISSING)) for i in ids}


# Words a panel answers a cancel with when it took it.
_ACCEPTED_WORDS = frozenset(
    {"1", "true", "yes", "ok", "success", "successful", "canceled", "cancelled", "accepted"}
)


def _cancel_accepted(value: Any, depth: int = 0) -> bool | None:
    """True/False when the value says whether the cancel was taken; None when it says
    nothing recognisable. `1`, `true`, `"1"`, `{"status": "Success"}`, `{"cancel": 1}`,
    `{"cancel": {"status": "Success"}}`, `{"success": true}` are all a yes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        word = value.strip().casefold()
        return True if word in _ACCEPTED_WORDS else None
    if isinstance(value, Mapping) and depth < 3:
        for key in ("cancel", "status", "success", "result"):
            if key in value:
                found = _cancel_accepted(value[key], depth + 1)
                if found is not None:
                    return found
    return None


def _cancel_result(order_id: str, value: Any, depth: int = 0) -> CancelResult:
    if isinstance(value, Mapping):
        text = v.error_text(value)
        if text is not None:
            return CancelResult(order_id, accepted=False, error=text)
        if "cancel" in value and depth < 3:  # {"cancel": {...}} around the answer
            return _cancel_result(order_id, value["cancel"], depth + 1)
    accepted = _cancel_accepted(value)
    if accepted:
        return CancelResult(order_id, accepted=True)
    if isinstance(value, str) and v.text(value):
        return CancelResult(order_id, accepted=False, error=v.text(value))
    return CancelResult(order_id, accepted=False, error="not accepted")


def parse_cancels(ids: Sequence[str], data: Any) -> dict[str, CancelResult]:
    """Per-id results of `cancel`: the list of `{"order", "cancel"}` items, or, for one
    id, a flat answer (`1`, `true`, `"1"`, `{"status": "Success"}`, `{"cancel": ...}`)."""
    ids = list(ids)
    flat = not isinstance(data, list) and not (isinstance(data, Mapping) and "order" in data)
    if flat:
        by_id = _keyed(data) if isinstance(data, Mapping) and len(data) <= 4 * len(ids) + 8 else {}
        if any(i in by_id for i in ids):  # keyed by order id: {"9": 1}
            return {
                i: _cancel_result(i, by_id[i]) if i in by_id else CancelResult(i, False, MISSING)
                for i in ids
            }
        text = v.error_text(data)
        if text is not None and (len(ids) != 1 or account_issue(text) is not None):
            raise ProviderError(text, action="cancel")
        if len(ids) == 1:
            return {ids[0]: _cancel_result(ids[0], data)}
        raise _bad("cancel", f"{type(data).__name__} for {len(ids)} orders")
    results: dict[str, CancelResult] = {}
    for item in _list_of_objects(data, "cancel"):
        order_id = _item_id(item, "order", "cancel")
        if order_id is not None:
            results[order_id] = _cancel_result(order_id, item.get("cancel"))
    return {i: results.get(i, CancelResult(i, False, MISSING)) for i in ids}


def parse_balance(data: Any) -> Balance:
    raise_for_error(data, "balance")
    try:
        if not isinstance(data, Mapping):
            raise v.Invalid("balance reply is not an object")
        amount: Decimal = v.money(data.get("balance"), "balance", signed=True)
        return Balance(balance=amount, currency=v.currency(data.get("currency")) or "")
    except v.Invalid as exc:
        raise _bad("balance", str(exc)) from None


__all__ = [
    "MISSING",
    "MalformedReply",
    "error_text",
    "parse_add",
    "parse_balance",
    "parse_cancels",
    "parse_order_state",
    "parse_refill",
    "parse_refill_status",
    "parse_refill_statuses",
    "parse_refills",
    "parse_service",
    "parse_services",
    "parse_status",
    "parse_statuses",
    "raise_for_error",
]
