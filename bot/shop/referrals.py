"""Referrals: a customer's link, the people it brought, and what they earned.

The referrer is fixed at a customer's first /start, and only to a customer who already
exists (bot/shop/users.py), so a referral can neither point at oneself nor form a loop.
A referrer earns REFERRAL_PERCENT of each Stars top-up of the people they invited: a
ledger row keyed by the payment (`referral:<charge id>`), credited with the top-up itself
(bot/shop/payments/).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from sqlalchemy.ext.asyncio import AsyncSession

from bot.shop.money import Micro, round_down
from bot.shop.users import referral_code
from db.repositories.payments import ReferralRepo
from db.uow import reads

START_PREFIX = "ref_"


def referral_reward(credit: Micro, percent: Decimal, currency: str) -> Micro:
    """`percent` of a top-up's credit, rounded down to the shop's minor unit."""
    if credit <= 0 or percent <= 0:
        return 0
    with localcontext() as ctx:
        ctx.prec = 60
        exact = (Decimal(credit) * percent / 100).to_integral_value(rounding=ROUND_FLOOR)
    return round_down(int(exact), currency)


def start_parameter(user_id: int) -> str:
    """The /start parameter of the user's referral link (`ref_<code>`)."""
    return START_PREFIX + referral_code(user_id)


def referral_link(bot_username: str, user_id: int) -> str:
    return f"https://t.me/{bot_username}?start={start_parameter(user_id)}"


@dataclass(frozen=True, slots=True)
class ReferralStats:
    start_parameter: str
    invited: int  # customers whose referrer is this user
    earned: Micro  # the sum of their referral rewards
    percent: Decimal


class ReferralService:
    def __init__(self, referrals: ReferralRepo, percent: Decimal) -> None:
        self.referrals = referrals
        self.percent = percent

    @property
    def session(self) -> AsyncSession:
        return self.referrals.session

    @classmethod
    def from_session(cls, session: AsyncSession, percent: Decimal) -> ReferralService:
        return cls(ReferralRepo(session), percent)

    @reads
    async def stats(self, user_id: int) -> ReferralStats:
        return ReferralStats(
            start_parameter=start_parameter(user_id),
            invited=await self.referrals.invited(user_id),
            earned=await self.referrals.earned(user_id),
            percent=self.percent,
        )


__all__ = [
    "ReferralService",
    "ReferralStats",
    "referral_link",
    "referral_reward",
    "start_parameter",
]
