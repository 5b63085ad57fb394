"""REQUIRED_CHANNEL: is a customer a member of the shop's channel, and is the bot an admin
there (which Telegram requires before it answers getChatMember about other people).

Membership is asked with getChatMember and remembered for `MEMBER_TTL`, so a member is
not asked about on every tap; a customer who is not a member is asked about again on
their next update (they may have joined meanwhile). When Telegram cannot answer (a
network error, a 5xx, a channel that has gone), the customer is let through: a check
that cannot be made never closes the shop, it is logged instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from bot.clock import Clock

log = logging.getLogger(__name__)

MEMBER_TTL = timedelta(minutes=10)
MAX_REMEMBERED = 50_000
_MEMBER = frozenset({"creator", "administrator", "member"})
_ADMIN = frozenset({"creator", "administrator"})


class ChannelMembership:
    def __init__(self, channel: str, clock: Clock) -> None:
        self.channel = channel
        self.clock = clock
        self._members: dict[int, datetime] = {}  # Telegram id -> remembered until

    @property
    def url(self) -> str:
        return f"https://t.me/{self.channel.removeprefix('@')}"

    async def is_member(self, bot: Bot, user_id: int, *, fresh: bool = False) -> bool:
        """`fresh`: ask Telegram even when the answer is remembered ("Check again")."""
        now = self.clock.now()
        until = self._members.get(user_id)
        if until is not None and until > now and not fresh:
            return True
        try:
            member = await bot.get_chat_member(self.channel, user_id)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("REQUIRED_CHANNEL %s: cannot check user %s: %s", self.channel, user_id, exc)
            return True
        joined = member.status in _MEMBER or (
            member.status == "restricted" and bool(getattr(member, "is_member", False))
        )
        if joined:
            if len(self._members) >= MAX_REMEMBERED:
                self._members = {k: v for k, v in self._members.items() if v > now}
            self._members[user_id] = now + MEMBER_TTL
        else:
            self._members.pop(user_id, None)
        return joined


async def channel_problem(bot: Bot, channel: str) -> str | None:
    """Why REQUIRED_CHANNEL cannot work (one line for start-up), or None when the bot is an
    admin of the channel."""
    me = await bot.get_me()
    try:
        member = await bot.get_chat_member(channel, me.id)
    except TelegramAPIError as exc:
        return f"REQUIRED_CHANNEL: Telegram does not know {channel} for this bot ({exc.message})"
    status = str(getattr(member.status, "value", member.status))
    if status not in _ADMIN:
        return (
            f"REQUIRED_CHANNEL: the bot is not an admin of {channel} (it is {status}); "
            "add it as an administrator of the channel"
        )
    return None


__all__ = ["MEMBER_TTL", "ChannelMembership", "channel_problem"]
