"""/referral: the customer's invite link, the people it brought, the rewards earned.

Links look like t.me/<bot>?start=ref_<code>; /start reads them (bot/shop/users.py) and
fixes the referrer at a customer's first start only. Rewards are credited with each
Stars top-up of an invited customer (bot/shop/payments/).
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.deps import Deps
from bot.shop.referrals import referral_link
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.wallet import keyboards as kb
from handlers.wallet import texts


def create_router() -> Router:
    router = Router(name="referral")
    router.message.register(cmd_referral, Command("referral"))
    return router


async def cmd_referral(message: Message, bot: Bot, shop: Shop, user: UserDTO, deps: Deps) -> None:
    stats = await shop.referrals.stats(user.id)
    me = await bot.me()
    link = referral_link(me.username or "", user.id)
    await message.answer(
        texts.referral(stats, link, deps.settings.shop_currency),
        reply_markup=kb.referral(link),
    )
