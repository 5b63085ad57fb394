"""HTTP face of the simulator: POST /api/v2 and the sandbox-only /sandbox/* controls."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from aiohttp import web

from . import errors
from .dialects import Dialect, php_notices
from .errors import ApiError
from .panel import Panel

log = logging.getLogger(__name__)

HANG_SECONDS = 24 * 3600.0

CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1>Checking if the site connection is secure</h1>
<p>Enable JavaScript and cookies to continue</p>
<noscript>Please enable cookies.</noscript></div></div>
<div class="footer">Performance &amp; security by Cloudflare</div></body></html>
"""


class Hangs:
    """The pauses that faults put into replies; the server's shutdown cuts them short."""

    def __init__(self) -> None:
        self._release = asyncio.Event()

    def hold(self) -> None:
        self._release = asyncio.Event()

    def release(self) -> None:
        self._release.set()

    async def pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), seconds)


def create_app(panel: Panel) -> web.Application:
    app = web.Application()
    hangs = Hangs()
    app.router.add_post("/api/v2", partial(_api, panel, hangs))
    app.router.add_post("/api/v2/", partial(_api, panel, hangs))
    app.router.add_get("/sandbox/state", partial(_state, panel))
    app.router.add_post("/sandbox/faults", partial(_faults, panel))
    app.router.add_post("/sandbox/script", partial(_script, panel))
    app.router.add_post("/sandbox/balance", partial(_balance, panel))

    async def on_startup(app: web.Application) -> None:
        hangs.hold()

    async def on_shutdown(app: web.Application) -> None:
        # Wake hanging handlers, or the server would wait for them before closing.
        hangs.release()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


async def _api(panel: Panel, hangs: Hangs, request: web.Request) -> web.StreamResponse:
    form = await _read_form(request)
    action = form.get("action", "").strip()
    panel.calls[action or "(none)"] += 1
    faults = panel.faults
    if faults.latency:
        await hangs.pause(faults.latency)
    if faults.hang:
        await hangs.pause(HANG_SECONDS)
        return web.Response(status=503, text="stopped")
    if faults.http_5xx:
        return web.Response(status=502, text="502 Bad Gateway")
    if faults.html:
        return web.Response(text=CHALLENGE_PAGE, content_type="text/html")
    if action in faults.fail_actions:
        return web.Response(status=500, text="500 Internal Server Error")
    if not hmac.compare_digest(form.get("key", "").encode(), panel.key.encode()):
        return _reply(panel, {"error": errors.INVALID_KEY})
    if faults.account_refusal:
        return _reply(panel, {"error": faults.account_refusal})
    try:
        reply = panel.api.handle(action, form, faults)
    except ApiError as error:
        log.debug("api v2 %s refused: %s", action, error.text)
        return _reply(panel, {"error": error.text})
    if action == "add" and faults.add_hang_after_create:
        await hangs.pause(HANG_SECONDS)
        return web.Response(status=503, text="stopped")
    if Dialect.NULL_ERRORS in panel.dialects:
        reply = panel.null_errors.add(reply)
    return _reply(panel, reply)


def _reply(panel: Panel, reply: Any) -> web.Response:
    """The JSON reply, as the simulator's dialect prints it."""
    if Dialect.PHP_NOTICES in panel.dialects:
        return web.Response(body=php_notices(reply), content_type="text/html")
    return web.json_response(reply)


async def _read_form(request: web.Request) -> dict[str, str]:
    """Form fields (or a JSON object's), over query parameters, as PHP panels merge them."""
    fields: dict[str, str] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            fields.update({str(k): _flat(v) for k, v in body.items()})
        return fields
    post = await request.post()
    fields.update({k: v for k, v in post.items() if isinstance(v, str)})
    return fields


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(_flat(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# -- sandbox controls: not part of API v2, never subject to faults ----------------


async def _state(panel: Panel, request: web.Request) -> web.Response:
    return web.json_response(panel.state())


async def _faults(panel: Panel, request: web.Request) -> web.Response:
    body = await _json_object(request)
    if body.pop("reset", False):
        panel.faults.reset()
    try:
        panel.faults.update(**body)
    except (TypeError, ValueError) as error:
        raise _bad_request(str(error)) from None
    return web.json_response({"faults": panel.faults.to_json()})


async def _script(panel: Panel, request: web.Request) -> web.Response:
    body = await _json_object(request)
    status = body.get("status", "Partial")
    remains = body.get("remains")
    posts = body.get("posts")
    if not isinstance(status, str) or not status.strip():
        raise _bad_request("status: a non-empty string")
    for name, value in (("remains", remains), ("posts", posts)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise _bad_request(f"{name}: a whole number >= 0")
    try:
        panel.script(str(body.get("order_id", "")), status=status, remains=remains, posts=posts)
    except KeyError:
        return web.json_response({"error": errors.INCORRECT_ORDER}, status=404)
    return web.json_response({"ok": True})


async def _balance(panel: Panel, request: web.Request) -> web.Response:
    body = await _json_object(request)
    try:
        panel.balance = Decimal(str(body["balance"]))
    except (KeyError, InvalidOperation):
        raise _bad_request("balance: a decimal amount") from None
    return web.json_response({"balance": str(panel.balance)})


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _bad_request("a JSON object is expected")
    return body


def _bad_request(text: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": text}), content_type="application/json")
