"""Typed callback data: small, prefixed, never parsed by hand (Telegram allows 64 bytes).

Every number is bounded: an id fits a BIGINT, a page or an index is small. Data that a
client tampered with (a 20-digit id, "1²") does not match any handler and gets the
ordinary "out of date" answer (handlers/storefront/fallback.py), never a database error.
Each feature's callback data lives beside its router and uses these bounds."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.numbers import MAX_INT64

Id = Annotated[int, Field(ge=0, le=MAX_INT64)]  # a database or Telegram id


Page = Annotated[int, Field(ge=0, le=100_000)]


Small = Annotated[int, Field(ge=-1, le=100_000)]  # an index into a short list; -1: none


Count = Annotated[int, Field(ge=0, le=10**9)]
