"""Ledger references of payments, and the payload of a second charge of one invoice."""

from __future__ import annotations

import hashlib

from bot.shop.wallet import MAX_REFERENCE_LENGTH


def ledger_reference(kind: str, charge_id: str, attempt: int = 1) -> str:
    """`<kind>:<charge id>[:<attempt>]`; a charge id too long for the ledger's reference
    column is replaced by a hash of it (`<kind>:#<sha256>`), the same every time."""
    suffix = "" if attempt <= 1 else f":{attempt}"
    reference = f"{kind}:{charge_id}{suffix}"
    if len(reference) <= MAX_REFERENCE_LENGTH:
        return reference
    digest = hashlib.sha256(charge_id.encode()).hexdigest()[:64]
    return f"{kind}:#{digest}{suffix}"


def sibling_payload(payload: str, charge_id: str) -> str:
    """The payload of a payment row of its own for a second charge of one invoice."""
    digest = hashlib.sha256(charge_id.encode()).hexdigest()[:16]
    return f"{payload[:40]}~{digest}"


__all__ = ["ledger_reference", "sibling_payload"]
