"""What `PaymentService` and its refunds share: repositories, wallet, clock, the
configuration, and the customers it tells."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.errors import NotFound
from bot.shop.payments.stars import StarsPrices
from bot.shop.payments.values import Party, PaymentConfig
from bot.shop.wallet import WalletService
from db.models import Payment
from db.repositories.payments import PaymentRepo
from db.repositories.users import UserRepo


class PaymentServiceBase(StarsPrices):
    """The state `PaymentService`'s parts share; not a use case of its own."""

    def __init__(
        self,
        session: AsyncSession,
        payments: PaymentRepo,
        users: UserRepo,
        wallet: WalletService,
        clock: Clock,
        config: PaymentConfig,
    ) -> None:
        self.session = session
        self.payments = payments
        self.users = users
        self.wallet = wallet
        self.clock = clock
        self.config = config

    def _expired(self, row: Payment) -> bool:
        return row.created_at + self.config.invoice_ttl < self.clock.now()

    async def _party(self, user_id: int) -> Party:
        row = await self.users.get(user_id)
        if row is None:
            raise NotFound("user", user_id)
        return Party(row.id, row.telegram_id, row.language, row.banned)


__all__ = ["PaymentServiceBase"]
