"""The bot itself and its updates: getMe, logOut, close, getUpdates and the webhook."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ApiError, bad_request
from ..params import Params
from ..updates import WebhookConfig
from .base import BotApi, api_method


@api_method("getMe")
async def get_me(api: BotApi, p: Params) -> Any:
    return {
        **api.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut")
async def log_out(api: BotApi, p: Params) -> Any:
    return True


@api_method("close")
async def close(api: BotApi, p: Params) -> Any:
    return True


@api_method("getUpdates")
async def get_updates(api: BotApi, p: Params) -> Any:
    tg = api.state
    if tg.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
            kind="conflict",
        )
    offset = p.integer("offset") or 0
    limit = p.integer("limit") or 100
    limit = min(max(limit, 1), 100)
    timeout = min(max(p.integer("timeout") or 0, 0), 50)
    allowed = p.parsed("allowed_updates", error="can't parse allowed updates JSON object")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed updates JSON object", "invalid_json")
        tg.updates.set_allowed_updates(allowed)
    tg.updates.confirm(offset)
    return await tg.updates.long_poll(limit, timeout)


@api_method("setWebhook")
async def set_webhook(api: BotApi, p: Params) -> Any:
    url = p.string("url") or ""
    drop = p.boolean("drop_pending_updates")
    if not url:
        api.webhook.set(None, drop_pending=drop)
        return True
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = p.string("secret_token")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
        raise bad_request("secret token contains unallowed characters", "invalid_secret")
    allowed = p.parsed("allowed_updates", error="can't parse allowed updates JSON object")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed updates JSON object", "invalid_json")
    max_connections = min(max(p.integer("max_connections") or 40, 1), 100)
    api.webhook.set(WebhookConfig(url, secret, max_connections, allowed or None), drop_pending=drop)
    return True


@api_method("deleteWebhook")
async def delete_webhook(api: BotApi, p: Params) -> Any:
    api.webhook.set(None, drop_pending=p.boolean("drop_pending_updates"))
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApi, p: Params) -> Any:
    config = api.state.webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(api.state.pending_updates),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        info["ip_address"] = "127.0.0.1"
        if config.allowed_updates:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
        if config.last_error_message:
            info["last_error_message"] = config.last_error_message
    return info
