"""Whole-call errors of the simulated panel and the texts real panels use for them."""

from __future__ import annotations

INCORRECT_REQUEST = "Incorrect request"
INVALID_KEY = "Invalid API key"
INCORRECT_SERVICE = "Incorrect service ID"
INCORRECT_LINK = "Incorrect link"
NOT_ENOUGH_FUNDS = "Not enough funds on balance"
INCORRECT_ORDER = "Incorrect order ID"
REFILL_NOT_FOUND = "Refill not found"
DUPLICATE_LINK = "You have active order with this link. Please wait until order being completed."
TOO_MANY_IDS = "Too many ids, maximum 100 per request"
INCORRECT_DELAY = "Incorrect delay"
INCORRECT_EXPIRY = "Incorrect expiry date"
DRIPFEED_DISABLED = "Drip-feed is disabled for this service"
REFILL_DISABLED = "Refill is disabled for this service"
REFILL_NOT_COMPLETED = "Order is not completed yet"
REFILL_NOT_AVAILABLE = "Refill is not available for this order"
REFILL_EXISTS = "Refill is already in progress for this order"
CANCEL_DISABLED = "Cancel is disabled for this service"
CANCEL_FINISHED = "Order is already finished and cannot be canceled"


def quantity_less(minimum: int) -> str:
    return f"Quantity less than minimal {minimum}"


def quantity_more(maximum: int) -> str:
    return f"Quantity more than maximum {maximum}"


class ApiError(Exception):
    """A refusal answered as HTTP 200 `{"error": text}`, like real panels do."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
