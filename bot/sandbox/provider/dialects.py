"""The dialects real panels speak, so the bot can be tried and tested against each.

`python -m bot.sandbox.provider --dialect php-notices --dialect spellings` (or
`ProviderSimulator(dialects=[...])`). The standard dialect follows the protocol's
examples; each other one changes the replies the way some real panels do:

* `php-notices`: every JSON body sits between PHP notices and an HTML comment;
* `string-ids`: every id and number is a string (`"order": "23501"`);
* `flat-single`: one id in `orders` gets the flat object, `{"status": "error",
  "message": ...}` when the id is unknown;
* `spellings`: `Inprogress`, `Cancelled`, `Complete`, `pending`; refills `In Progress`;
* `no-refill-status`: `refill_status` answers "Incorrect request";
* `null-errors`: every successful object carries `"error"` as null, "", 0 or false;
* `partial-cancel`: a canceled order keeps what was delivered: Canceled with the
  remains and a charge for the rest;
* `subscription-posts`: subscriptions report the `posts` served; one that runs out of
  time before its posts is `Expired`;
* `cancel-object`: `cancel` answers `{"cancel": {"status": "Success"}}`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any


class Dialect(StrEnum):
    PHP_NOTICES = "php-notices"
    STRING_IDS = "string-ids"
    FLAT_SINGLE = "flat-single"
    SPELLINGS = "spellings"
    NO_REFILL_STATUS = "no-refill-status"
    NULL_ERRORS = "null-errors"
    PARTIAL_CANCEL = "partial-cancel"
    SUBSCRIPTION_POSTS = "subscription-posts"
    CANCEL_OBJECT = "cancel-object"


def parse_dialects(names: Iterable[str | Dialect]) -> frozenset[Dialect]:
    """Dialects by name ("php-notices", also comma-separated); ValueError for others."""
    chosen: set[Dialect] = set()
    for name in names:
        for part in str(name).split(","):
            part = part.strip()
            if not part or part == "standard":
                continue
            try:
                chosen.add(Dialect(part))
            except ValueError:
                known = ", ".join(d.value for d in Dialect)
                raise ValueError(f"unknown dialect {part!r} (known: {known})") from None
    return frozenset(chosen)


# --- status words ---------------------------------------------------------------------

_ORDER_SPELLINGS = {
    "Pending": "pending",
    "In progress": "Inprogress",
    "Processing": "processing",
    "Completed": "Complete",
    "Partial": "partial",
    "Canceled": "Cancelled",
    "Refunded": "refunded",
    "Active": "active",
}
_REFILL_SPELLINGS = {"In progress": "In Progress", "Completed": "completed"}


def spell_order_status(status: str) -> str:
    return _ORDER_SPELLINGS.get(status, status)


def spell_refill_status(status: str) -> str:
    return _REFILL_SPELLINGS.get(status, status)


# --- "no error" values ------------------------------------------------------------------

_NO_ERROR_VALUES = (None, "", 0, False)


class NullErrors:
    """Adds an `error` key that says "no error" to every object of a successful reply,
    rotating through the spellings panels use."""

    def __init__(self) -> None:
        self._values: Iterator[Any] = itertools.cycle(_NO_ERROR_VALUES)

    def add(self, reply: Any) -> Any:
        if isinstance(reply, dict):
            if "error" in reply:  # an item error: leave it
                return reply
            inner = {k: self.add(v) if isinstance(v, dict) else v for k, v in reply.items()}
            return {**inner, "error": next(self._values)}
        if isinstance(reply, list):
            return [self.add(item) for item in reply]
        return reply


# --- bodies -----------------------------------------------------------------------------

_NOTICE = (
    "<br />\n<b>Deprecated</b>:  Creation of dynamic property Api::$currency is deprecated "
    "in <b>/var/www/panel/app/Api.php</b> on line <b>42</b><br />\n"
    "<br />\n<b>Notice</b>:  Undefined index: orders in <b>/var/www/panel/api/v2.php</b> on "
    "line <b>118</b><br />\n"
)
_TRAILER = "\n<!-- page generated in 0.0123 s -->\n"


def php_notices(reply: Any) -> bytes:
    """The JSON as a PHP panel with notices switched on prints it."""
    return (_NOTICE + json.dumps(reply) + _TRAILER).encode()


__all__ = [
    "Dialect",
    "NullErrors",
    "parse_dialects",
    "php_notices",
    "spell_order_status",
    "spell_refill_status",
]
