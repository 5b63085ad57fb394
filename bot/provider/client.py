"""Async client of the SMM panel API v2 over one aiohttp session."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.provider import parsing, validate
from bot.provider.errors import (
    BadReply,
    NotApiReply,
    OrderOutcomeUnknown,
    ProviderError,
    ProviderFailure,
    ProviderUnavailable,
)
from bot.provider.models import (
    AddResult,
    Balance,
    CancelResult,
    ItemError,
    OrderState,
    RefillCreated,
    RefillState,
    ServiceListing,
)
from bot.provider.requests import AddRequest, InvalidRequest

log = logging.getLogger(__name__)

# Some panels sit behind CDNs that refuse library user agents.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
MAX_IDS_PER_CALL = 100
MAX_BODY = 32 * 1024 * 1024  # a reply larger than this is not an API reply

Sleep = Callable[[float], Awaitable[None]]
CallObserver = Callable[[str, float, str], None]  # action, seconds, outcome


class _NotSent(Exception):
    """The connection was never established: the panel cannot have seen the request."""


async def _read_body(stream: aiohttp.StreamReader) -> bytes:
    """The whole body, or MAX_BODY + 1 bytes of it: `read(n)` returns what has arrived
    (a large catalogue comes in many chunks), so it is read until the end."""
    body = bytearray()
    while len(body) <= MAX_BODY:
        chunk = await stream.read(MAX_BODY + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)


class ProviderClient:
    def __init__(
        self,
        url: str,
        key: SecretStr | str,
        *,
        timeout: float = 30.0,
        add_timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 4,
        session: aiohttp.ClientSession | None = None,
        sleep: Sleep = asyncio.sleep,
        observer: CallObserver | None = None,
    ) -> None:
        self._url = url
        self._key = key if isinstance(key, SecretStr) else SecretStr(key)
        self._timeout = timeout
        self._add_timeout = add_timeout
        self._retries = max(0, retries)
        self._backoff = backoff
        self._concurrency = max(1, concurrency)
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._observer = observer
        self.calls: Counter[str] = Counter()
        self._noisy = False  # a reply came wrapped in other text (said once)

    def __repr__(self) -> str:  # the key never shows up in a repr
        return f"ProviderClient(url={self._url!r})"

    async def __aenter__(self) -> ProviderClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": BROWSER_USER_AGENT, "Accept": "application/json"},
                connector=aiohttp.TCPConnector(limit=max(8, self._concurrency * 2)),
            )
            self._owns_session = True
        return self._session

    # --- transport ----------------------------------------------------------

    def _redact(self, text: str) -> str:
        secret = self._key.get_secret_value()
        return text.replace(secret, "***") if secret else text

    async def _post(self, action: str, fields: dict[str, str], limit: float) -> Any:
        """One POST. Raises ProviderUnavailable for anything that is not a JSON reply."""
        form = {"key": self._key.get_secret_value(), "action": action, **fields}
        self.calls[action] += 1
        started = time.perf_counter()
        outcome = "ok"
        try:
            try:
                async with self._http().post(
                    self._url,
                    data=form,
                    timeout=aiohttp.ClientTimeout(total=limit),
                    headers={"User-Agent": BROWSER_USER_AGENT},
                ) as response:
                    status = response.status
                    body = await _read_body(response.content)
            except aiohttp.ClientConnectorError as exc:
                outcome = "unavailable"
                raise _NotSent(self._redact(f"cannot connect: {exc.os_error}")) from None
            except TimeoutError:
                outcome = "timeout"
                raise ProviderUnavailable(f"no reply within {limit:g}s", action=action) from None
            except aiohttp.ClientError as exc:
                outcome = "unavailable"
                reason = self._redact(f"{type(exc).__name__}: {exc}")
                raise ProviderUnavailable(reason, action=action) from None
            if status >= 500:
                outcome = "unavailable"
                raise ProviderUnavailable(f"HTTP {status}", action=action)
            if len(body) > MAX_BODY:
                outcome = "unavailable"
                raise BadReply(f"HTTP {status}, a reply over {MAX_BODY} bytes", action=action)
            try:
                decoded = validate.decode(body)
            except validate.NotJson as exc:
                outcome = "unavailable"
                snippet = self._redact(exc.sample).strip()
                kind = "an HTML page" if snippet.startswith("<") else "not JSON"
                raise NotApiReply(f"HTTP {status}, {kind}: {snippet!r}", action=action) from None
            data = decoded.value
            if decoded.noise is not None:
                self._note_noise(action, decoded.noise)
            refusal = validate.error_text(data)
            if status != 200 and refusal is None:
                outcome = "unavailable"
                raise ProviderUnavailable(f"HTTP {status}", action=action)
            if refusal is not None:
                outcome = "refused"
            return data
        finally:
            if self._observer is not None:
                self._observer(action, time.perf_counter() - started, outcome)

    def _note_noise(self, action: str, noise: str) -> None:
        """PHP notices or HTML around the JSON: the JSON is used, the noise said once."""
        sample = self._redact(noise)
        if self._noisy:
            log.debug("panel %s reply: JSON salvaged from %r", action, sample)
            return
        self._noisy = True
        log.warning(
            "the panel's replies carry other text around their JSON (PHP notices, HTML); "
            "the JSON is used (said once). First seen in a %s reply: %r",
            action,
            sample,
        )

    async def _read(self, action: str, fields: dict[str, str], parse: Callable[[Any], Any]) -> Any:
        """A read-only call: retried with backoff while the panel is unavailable."""
        attempt = 0
        while True:
            try:
                try:
                    data = await self._post(action, fields, self._timeout)
                except _NotSent as exc:
                    raise ProviderUnavailable(str(exc), action=action) from None
                try:
                    return parse(data)
                except validate.Invalid as exc:
                    raise BadReply(f"unexpected reply: {exc}", action=action) from None
            except ProviderUnavailable as exc:
                if attempt >= self._retries:
                    raise
                delay = self._backoff * (2**attempt)
                attempt += 1
                log.info(
                    "panel %s unavailable (%s), retry %d in %.2fs",
                    action,
                    exc.reason,
                    attempt,
                    delay,
                )
                await self._sleep(delay)

    async def _once(self, action: str, fields: dict[str, str], parse: Callable[[Any], Any]) -> Any:
        """A call that changes something at the panel: never retried."""
        try:
            data = await self._post(action, fields, self._timeout)
        except _NotSent as exc:
            raise ProviderUnavailable(str(exc), action=action) from None
        try:
            return parse(data)
        except validate.Invalid as exc:
            raise BadReply(f"unexpected reply: {exc}", action=action) from None

    # --- actions ------------------------------------------------------------

    async def services(self) -> ServiceListing:
        result: ServiceListing = await self._read("services", {}, parsing.parse_services)
        return result

    async def add(self, request: AddRequest) -> AddResult:
        """Place an order. Never retried.

        Raises InvalidRequest before sending; ProviderError when the panel refused;
        ProviderUnavailable only when the request certainly did not reach the panel;
        OrderOutcomeUnknown when it may have (timeout, reset, 5xx, a reply without an id).
        """
        form = request.form()  # validates; raises InvalidRequest
        try:
            data = await self._post("add", form, self._add_timeout)
        except _NotSent as exc:
            raise ProviderUnavailable(str(exc), action="add") from None
        except ProviderUnavailable as exc:
            raise OrderOutcomeUnknown(exc.reason) from None
        try:
            return parsing.parse_add(data)
        except validate.Invalid as exc:
            raise OrderOutcomeUnknown(f"unexpected reply: {exc}") from None

    async def status(self, order_id: str) -> OrderState:
        result: OrderState = await self._read(
            "status", {"order": str(order_id)}, lambda d: parsing.parse_status(str(order_id), d)
        )
        return result

    async def order_status(self, order_id: str) -> OrderState | ItemError:
        """One order's status as the poller reads it (`orders=<id>`): a reply the
        validator refuses is an item error for the order state machine to count, not an
        exception."""
        key = str(order_id).strip()
        replies = await self.statuses([key])
        return replies.get(key, ItemError(parsing.MISSING))

    async def statuses(self, order_ids: Sequence[str]) -> dict[str, OrderState | ItemError]:
        """Statuses of any number of orders, 100 ids a call, a few calls at once."""
        return await self._chunked(
            order_ids, "status", "orders", parsing.parse_statuses, self._read
        )

    async def refill(self, order_id: str) -> RefillCreated:
        result: RefillCreated = await self._once(
            "refill", {"order": str(order_id)}, lambda d: parsing.parse_refill(str(order_id), d)
        )
        return result

    async def refills(self, order_ids: Sequence[str]) -> dict[str, RefillCreated | ItemError]:
        return await self._chunked(order_ids, "refill", "orders", parsing.parse_refills, self._once)

    async def refill_status(self, refill_id: str) -> RefillState:
        result: RefillState = await self._read(
            "refill_status",
            {"refill": str(refill_id)},
            lambda d: parsing.parse_refill_status(str(refill_id), d),
        )
        return result

    async def refill_statuses(
        self, refill_ids: Sequence[str]
    ) -> dict[str, RefillState | ItemError]:
        return await self._chunked(
            refill_ids, "refill_status", "refills", parsing.parse_refill_statuses, self._read
        )

    async def cancel(self, order_ids: Sequence[str]) -> dict[str, CancelResult]:
        return await self._chunked(order_ids, "cancel", "orders", parsing.parse_cancels, self._once)

    async def balance(self) -> Balance:
        result: Balance = await self._read("balance", {}, parsing.parse_balance)
        return result

    async def _chunked(
        self,
        ids: Sequence[str],
        action: str,
        field: str,
        parse: Callable[[list[str], Any], dict[str, Any]],
        call: Callable[[str, dict[str, str], Callable[[Any], Any]], Awaitable[Any]],
    ) -> dict[str, Any]:
        unique = list(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
        if not unique:
            return {}
        chunks = [unique[i : i + MAX_IDS_PER_CALL] for i in range(0, len(unique), MAX_IDS_PER_CALL)]
        gate = asyncio.Semaphore(self._concurrency)

        async def one(chunk: list[str]) -> dict[str, Any]:
            async with gate:
                result: dict[str, Any] = await call(
                    action, {field: ",".join(chunk)}, lambda d: parse(chunk, d)
                )
                return result

        results: dict[str, Any] = {}
        for part in await asyncio.gather(*(one(c) for c in chunks)):
            results.update(part)
        return results


__all__ = [
    "BROWSER_USER_AGENT",
    "BadReply",
    "InvalidRequest",
    "OrderOutcomeUnknown",
    "ProviderClient",
    "ProviderError",
    "ProviderFailure",
    "ProviderUnavailable",
]
