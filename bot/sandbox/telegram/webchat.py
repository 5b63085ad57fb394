"""The web chat: a page at "/" plus a small JSON API and a WebSocket for live events.

The page never receives a bot's raw text as markup: every message carries ``html`` built by
``entities.render_html`` (escaped text in a fixed set of tags), and everything else (names,
button labels, invoice titles) is sent as plain strings the page puts in ``textContent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from .entities import safe_href
from .files import image_info
from .limits import LimitSettings
from .models import StoredMessage
from .state import TelegramState
from .users import Users

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {"app.css": "text/css", "app.js": "text/javascript"}
SAFE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
QUEUE_SIZE = 2000


def _csp(request: web.Request) -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{request.host} wss://{request.host}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _headers(request: web.Request) -> dict[str, str]:
    return {
        "Content-Security-Policy": _csp(request),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


# ---------------------------------------------------------------------- serialization


def _name(user: dict[str, Any]) -> str:
    return " ".join(x for x in (user.get("first_name"), user.get("last_name")) if x) or "?"


def _stars(currency: str, amount: int) -> str:
    return f"{amount} Stars" if currency == "XTR" else f"{amount / 100:.2f} {currency}"


def snippet(message: StoredMessage) -> str:
    if message.successful_payment:
        sp = message.successful_payment
        return f"Paid {_stars(sp['currency'], sp['total_amount'])}"
    if message.refunded_payment:
        return "Payment refunded"
    if message.invoice:
        return f"Invoice: {message.invoice['title']}"
    if message.photo is not None:
        return "Photo" + (f": {message.caption}" if message.caption else "")
    if message.document is not None:
        return "File: " + (message.caption or message.document.filename or "document")
    return (message.text or message.caption or "")[:120]


def serialize_keyboard(emu: TelegramState, markup: dict[str, Any] | None) -> list[Any]:
    rows: list[list[dict[str, Any]]] = []
    for row in (markup or {}).get("inline_keyboard", []):
        out: list[dict[str, Any]] = []
        for button in row:
            item: dict[str, Any] = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item.update(kind="callback", data=button["callback_data"])
            elif "url" in button:
                url = button["url"]
                if url in emu.invoice_links:
                    item.update(kind="invoice_link", url=url)
                elif safe_href(url):
                    item.update(kind="url", url=url)
                else:
                    item.update(kind="other")
            elif button.get("pay"):
                item.update(kind="pay")
            elif "copy_text" in button:
                copy = button["copy_text"]
                text = copy.get("text") if isinstance(copy, dict) else None
                item.update(kind="copy", copy=str(text or ""))
            else:
                item.update(kind="other")
            out.append(item)
        rows.append(out)
    return rows


def serialize_reply_keyboard(keyboard: dict[str, Any] | None) -> dict[str, Any] | None:
    if not keyboard:
        return None
    return {
        "rows": [[str(b.get("text", "")) for b in row] for row in keyboard.get("keyboard", [])],
        "one_time": bool(keyboard.get("one_time_keyboard")),
        "placeholder": str(keyboard.get("input_field_placeholder") or ""),
        "persistent": bool(keyboard.get("is_persistent")),
    }


def serialize_message(emu: TelegramState, message: StoredMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "chat_id": message.chat_id,
        "id": message.message_id,
        "from_bot": message.from_bot,
        "sender_id": message.sender.get("id"),
        "sender": _name(message.sender),
        "date": message.date,
        "edit_date": message.edit_date,
        "deleted": message.deleted,
        "html": message.html,
        "snippet": snippet(message)[:80],  # what a reply to it quotes
        "kind": "text",
        "keyboard": serialize_keyboard(emu, message.reply_markup),
    }
    if message.photo is not None:
        photo = message.photo
        data["kind"] = "photo"
        data["photo"] = {
            "src": f"/webchat/files/{photo.file_id}" if _is_image(photo.data) else None,
            "label": photo.url or photo.filename or "photo",
            "width": photo.width,
            "height": photo.height,
        }
    if message.document is not None:
        doc = message.document
        data["kind"] = "document"
        data["document"] = {
            "name": doc.filename or "document",
            "size": doc.size,
            "mime": doc.mime_type or "",
            "href": f"/webchat/files/{doc.file_id}" if doc.data is not None else None,
            "url": doc.url if doc.url and safe_href(doc.url) else None,
        }
    if message.invoice is not None:
        invoice = message.invoice
        data["kind"] = "invoice"
        data["invoice"] = {
            "title": invoice["title"],
            "description": invoice["description"],
            "price": _stars(invoice["currency"], invoice["total_amount"]),
            "currency": invoice["currency"],
            "amount": invoice["total_amount"],
            "paid": message.paid_charge_id is not None,
        }
    if message.successful_payment is not None:
        sp = message.successful_payment
        data["kind"] = "service"
        data["service"] = f"You paid {_stars(sp['currency'], sp['total_amount'])} to {emu.bot_name}"
    if message.refunded_payment is not None:
        rp = message.refunded_payment
        data["kind"] = "service"
        data["service"] = f"{_stars(rp['currency'], rp['total_amount'])} refunded by {emu.bot_name}"
    if message.reply_to is not None:
        data["reply_to"] = {
            "id": message.reply_to.message_id,
            "sender": _name(message.reply_to.sender),
            "snippet": snippet(message.reply_to)[:80],
        }
    if message.forward_origin is not None:
        data["forwarded_from"] = _name(message.forward_origin.get("sender_user") or {})
    return data


def _is_image(data: bytes | None) -> bool:
    return data is not None and image_info(data) is not None


def serialize_event(emu: TelegramState, event: dict[str, Any]) -> dict[str, Any] | None:
    kind = event.get("type")
    if kind == "message":
        return {"type": "message", "message": serialize_message(emu, event["message"])}
    if kind == "keyboard":
        return {
            "type": "keyboard",
            "chat_id": event["chat_id"],
            "keyboard": serialize_reply_keyboard(event["keyboard"]),
        }
    if kind == "callback_answer":
        answer = event["answer"]
        return {
            "type": "callback_answer",
            "query_id": answer.query_id,
            "user_id": answer.user_id,
            "chat_id": answer.chat_id,
            "message_id": answer.message_id,
            "text": answer.text,
            "show_alert": answer.show_alert,
        }
    if kind in ("delete", "action", "blocked", "state", "commands", "shutdown"):
        return dict(event)
    return None


def persona_summary(emu: TelegramState, user_id: int) -> dict[str, Any]:
    persona = emu.persona(user_id)
    messages = emu.chat(user_id)
    last = messages[-1] if messages else None
    return {
        "id": persona.user_id,
        "name": persona.first_name + (f" {persona.last_name}" if persona.last_name else ""),
        "username": persona.username,
        "language": persona.language_code,
        "admin": persona.is_admin_hint,
        "blocked": emu.is_blocked(user_id),
        "last": {"text": snippet(last), "date": last.date} if last else None,
    }


def group_summary(emu: TelegramState, chat_id: int) -> dict[str, Any]:
    group = next(g for g in emu.groups if g.chat_id == chat_id)
    messages = emu.chat(chat_id)
    last = messages[-1] if messages else None
    return {
        "id": group.chat_id,
        "title": group.title,
        "members": [
            {"id": p.user_id, "name": p.first_name}
            for p in emu.personas
            if p.user_id in group.member_ids
        ],
        "clicker": _group_clicker(emu, chat_id),
        "last": {"text": snippet(last), "date": last.date} if last else None,
    }


def _group_clicker(emu: TelegramState, chat_id: int) -> int | None:
    group = next(g for g in emu.groups if g.chat_id == chat_id)
    members = [p for p in emu.personas if p.user_id in group.member_ids]
    admins = [p for p in members if p.is_admin_hint]
    chosen = admins or members
    return chosen[0].user_id if chosen else None


# ---------------------------------------------------------------------- HTTP handlers


class WebChat:
    def __init__(self, emulator: Users) -> None:
        self.emu = emulator
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._unsubscribe = emulator.subscribe(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        if not self.queues:
            return
        payload = serialize_event(self.emu, event)
        if payload is None:
            return
        for queue in list(self.queues):
            with contextlib.suppress(asyncio.QueueFull):  # a stuck tab misses events
                queue.put_nowait(payload)

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC_DIR / "index.html",
            headers={**_headers(request), "Content-Type": "text/html; charset=utf-8"},
        )

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_TYPES:
            raise web.HTTPNotFound()
        return web.FileResponse(
            STATIC_DIR / name,
            headers={**_headers(request), "Content-Type": STATIC_TYPES[name] + "; charset=utf-8"},
        )

    async def state(self, request: web.Request) -> web.Response:
        emu = self.emu
        return web.json_response(
            {
                "bot": {"id": emu.bot_id, "name": emu.bot_name, "username": emu.bot_username},
                "personas": [persona_summary(emu, p.user_id) for p in emu.personas],
                "groups": [group_summary(emu, g.chat_id) for g in emu.groups],
                "limits": emu.limits != LimitSettings.off(),
                "webhook": emu.webhook.url if emu.webhook else None,
                "api_url": f"{request.scheme}://{request.host}",
                "token": emu.token,
            },
            headers=_headers(request),
        )

    async def chat(self, request: web.Request) -> web.Response:
        chat_id = _int(request.match_info["chat_id"])
        viewer = _int(request.query.get("viewer", "")) or chat_id
        if chat_id is None:
            return _error("bad chat id")
        emu = self.emu
        known = chat_id in {p.user_id for p in emu.personas} | {g.chat_id for g in emu.groups}
        if not known:
            return _error("unknown chat", 404)
        messages = [serialize_message(emu, m) for m in emu.chat(chat_id)]
        commands = emu.commands_for(viewer, chat_id) if viewer and viewer > 0 else []
        return web.json_response(
            {
                "chat_id": chat_id,
                "messages": messages,
                "keyboard": serialize_reply_keyboard(emu.keyboard(chat_id)),
                "commands": commands,
                "blocked": emu.is_blocked(chat_id) if chat_id > 0 else False,
                "clicker": _group_clicker(emu, chat_id) if chat_id < 0 else chat_id,
            },
            headers=_headers(request),
        )

    async def send(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user_id, text = _int(body.get("user_id")), body.get("text")
        if user_id is None or user_id <= 0 or not isinstance(text, str) or not text.strip():
            return _error("user_id and a non-empty text are required")
        if len(text) > 4096:
            return _error("message is too long")
        # In a group (the operators' chat), a member writes there, optionally replying to
        # one of its messages (an operator answering a support ticket).
        chat_id, reply_to = _int(body.get("chat_id")), _int(body.get("reply_to"))
        if chat_id is not None and chat_id != user_id:
            group = next((g for g in self.emu.groups if g.chat_id == chat_id), None)
            if group is None or group.type == "channel":
                return _error("unknown group", 404)
            if user_id not in group.member_ids:
                return _error("only the group's members write there", 403)
        if reply_to is not None:
            target = self.emu.message(chat_id or user_id, reply_to)
            if target is None or target.deleted:
                return _error("no such message to reply to", 404)
        update = await self.emu.send_text(
            user_id, text, chat_id=chat_id if chat_id != user_id else None, reply_to=reply_to
        )
        message_id = update.message.message_id if update.message else None
        return web.json_response({"ok": True, "message_id": message_id})

    async def click(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user_id, chat_id = _int(body.get("user_id")), _int(body.get("chat_id"))
        message_id, data = _int(body.get("message_id")), body.get("data")
        if None in (user_id, chat_id, message_id) or not isinstance(data, str):
            return _error("user_id, chat_id, message_id and data are required")
        assert user_id is not None and chat_id is not None and message_id is not None
        try:
            update = await self.emu.click(user_id, message_id, data, chat_id=chat_id)
        except LookupError as exc:
            return _error(str(exc), 404)
        query_id = update.callback_query.id if update.callback_query else None
        return web.json_response({"ok": True, "query_id": query_id})

    async def pay(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user_id = _int(body.get("user_id"))
        if user_id is None:
            return _error("user_id is required")
        try:
            if isinstance(body.get("link"), str):
                outcome = await self.emu.pay_link(user_id, body["link"])
            else:
                chat_id, message_id = _int(body.get("chat_id")), _int(body.get("message_id"))
                if message_id is None:
                    return _error("message_id is required")
                outcome = await self.emu.pay(user_id, message_id, chat_id=chat_id)
        except LookupError as exc:
            return _error(str(exc), 404)
        return web.json_response({"ok": outcome.ok, "error": outcome.error_message})

    async def block(self, request: web.Request) -> web.Response:
        body = await _json(request)
        user_id = _int(body.get("user_id"))
        if user_id is None or user_id <= 0:
            return _error("user_id is required")
        if body.get("blocked"):
            self.emu.block(user_id)
        else:
            self.emu.unblock(user_id)
        return web.json_response({"ok": True, "blocked": self.emu.is_blocked(user_id)})

    async def file(self, request: web.Request) -> web.StreamResponse:
        file = self.emu.file(request.match_info["file_id"])
        if file is None or file.data is None:
            raise web.HTTPNotFound()
        info = image_info(file.data)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"}
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        if info is not None and info[0] in SAFE_IMAGE_TYPES and file.kind == "photo":
            return web.Response(body=file.data, content_type=info[0], headers=headers)
        name = (file.filename or "file").replace('"', "").replace("\\", "")
        safe_name = "".join(ch for ch in name if 32 <= ord(ch) < 127) or "file"
        headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
        return web.Response(
            body=file.data, content_type="application/octet-stream", headers=headers
        )

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=25)
        await ws.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.add(queue)
        self.sockets.add(ws)

        async def pump() -> None:
            while True:
                event = await queue.get()
                await ws.send_str(json.dumps(event))

        sender = asyncio.get_running_loop().create_task(pump())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.queues.discard(queue)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                await sender
        return ws

    async def on_shutdown(self, _: web.Application) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutdown")

    async def on_cleanup(self, _: web.Application) -> None:
        self._unsubscribe()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    return None


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=json.dumps({"ok": False, "error": "JSON body expected"}),
            content_type="application/json",
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"ok": False, "error": "JSON object expected"}),
            content_type="application/json",
        )
    return body


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def setup(app: web.Application, emulator: Users) -> WebChat:
    chat = WebChat(emulator)
    app.router.add_get("/", chat.index)
    app.router.add_get("/static/{name}", chat.static)
    app.router.add_get("/webchat/api/state", chat.state)
    app.router.add_get("/webchat/api/chats/{chat_id}", chat.chat)
    app.router.add_post("/webchat/api/send", chat.send)
    app.router.add_post("/webchat/api/click", chat.click)
    app.router.add_post("/webchat/api/pay", chat.pay)
    app.router.add_post("/webchat/api/block", chat.block)
    app.router.add_get("/webchat/files/{file_id}", chat.file)
    app.router.add_get("/webchat/ws", chat.websocket)
    app.on_shutdown.append(chat.on_shutdown)
    app.on_cleanup.append(chat.on_cleanup)
    return chat
