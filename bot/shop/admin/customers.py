"""Admins and customers: a profile, /credit and /debit, bans."""

from __future__ import annotations

from dataclasses import replace

from bot.shop.admin.base import AdminServiceBase
from bot.shop.admin.parsing import UserRef
from bot.shop.admin.values import RECENT, Adjustment, BanChange, CannotBanAdmin, UserProfile
from bot.shop.enums import LedgerKind
from bot.shop.money import Micro, format_amount
from bot.shop.users import UserDTO
from db.uow import writes


class AdminCustomers(AdminServiceBase):
    """`AdminService`'s use cases about customers."""

    @writes
    async def profile(self, actor_id: int, who: UserRef | int) -> UserProfile:
        row = await self._find(who)
        user = UserDTO.of(row)
        referrer = await self.users.get(row.referrer_id) if row.referrer_id else None
        orders = await self.orders.page_for_user(row.id, per_page=RECENT)
        history = await self.wallet.history(row.id, per_page=RECENT)
        await self.record(actor_id, "user", target_type="user", target_id=user.telegram_id)
        return UserProfile(
            user=user,
            referrer=UserDTO.of(referrer) if referrer else None,
            referrals=await self.users.count_referrals(row.id),
            order_count=orders.total,
            orders=orders.orders,
            ledger=history.entries,
        )

    @writes
    async def adjust(
        self,
        actor_id: int,
        who: UserRef | int,
        amount: Micro,
        *,
        credit: bool,
        reason: str | None,
        reference: str,
    ) -> Adjustment:
        """An adjustment ledger row carrying the admin and the reason. A debit never takes
        the balance below zero (InsufficientFunds). `reference` makes a repeated command
        (the same update delivered twice) change nothing."""
        async with self.session.begin_nested():
            row = await self._find(who)
            earlier = await self.wallet.entry(reference)
            if earlier is not None:
                return Adjustment(UserDTO.of(row), earlier, credit, repeated=True)
            apply = self.wallet.credit if credit else self.wallet.debit
            entry = await apply(
                row.id,
                amount,
                LedgerKind.ADJUSTMENT,
                reference,
                actor_id=actor_id,
                note=reason,
            )
            await self.record(
                actor_id,
                "credit" if credit else "debit",
                target_type="user",
                target_id=row.telegram_id,
                amount=format_amount(amount, self.pricing.currency),
                currency=self.pricing.currency,
                reason=reason,
                reference=reference,
                ledger_id=entry.id,
            )
        user = await self._find(row.id)
        return Adjustment(UserDTO.of(user), entry, credit)

    @writes
    async def set_banned(
        self,
        actor_id: int,
        who: UserRef | int,
        banned: bool,
        *,
        protected: frozenset[int] = frozenset(),
    ) -> BanChange:
        """Ban or unban; the Telegram ids in `protected` (the admins) cannot be banned."""
        async with self.session.begin_nested():
            row = await self._find(who)
            if banned and row.telegram_id in protected:
                raise CannotBanAdmin(row.telegram_id)
            changed = row.banned != banned
            if changed:
                await self.users.set_banned(row.id, banned)
            await self.record(
                actor_id,
                "ban" if banned else "unban",
                target_type="user",
                target_id=row.telegram_id,
                changed=changed,
            )
        return BanChange(replace(UserDTO.of(row), banned=banned), changed)


__all__ = ["AdminCustomers"]
