"""The aiohttp application: ``/bot<token>/<method>``, ``/file/bot<token>/<path>`` and the
web chat. Every reply of the Bot API part is JSON in Telegram's shape, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from . import webchat
from .api import BotApi
from .errors import ApiError, unauthorized
from .params import read_request
from .users import Users

log = logging.getLogger(__name__)

EMULATOR_KEY: web.AppKey[Users] = web.AppKey("telegram_emulator")
MAX_UPLOAD = 60 * 1024 * 1024


def _reply(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


def build_app(
    emulator: Users, api: BotApi, *, on_shutdown: Callable[[], Awaitable[None]]
) -> web.Application:
    """An aiohttp app serving `api` and the web chat over `emulator`'s state; add it to any
    runner (or as a sub-app). `on_shutdown` releases long polls and stops webhook delivery."""
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[EMULATOR_KEY] = emulator

    async def handle_api(request: web.Request) -> web.Response:
        if request.match_info["token"] != emulator.token:
            emulator.counters.violations["unauthorized"] += 1
            return _reply(unauthorized())
        method = request.match_info["method"]
        try:
            params = await read_request(request)
        except ApiError as exc:
            emulator.counters.violations[exc.kind] += 1
            return _reply(exc)
        try:
            result = await api.call(method, params)
        except ApiError as exc:
            return _reply(exc)
        except Exception:
            log.exception("Bot API emulator failed on %s", method)
            emulator.counters.violations["internal_error"] += 1
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        return web.json_response({"ok": True, "result": result})

    async def handle_file(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != emulator.token:
            return _reply(unauthorized())
        file = emulator.file_by_path(request.match_info["path"])
        if file is None or file.data is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=file.data,
            content_type="application/octet-stream",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def shutdown(_: web.Application) -> None:
        await on_shutdown()

    app.router.add_route("*", r"/bot{token}/{method:[^/]*}", handle_api)
    app.router.add_get(r"/file/bot{token}/{path:.+}", handle_file)
    webchat.setup(app, emulator)
    app.on_shutdown.append(shutdown)
    return app
