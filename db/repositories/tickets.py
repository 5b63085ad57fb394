"""Support tickets and their messages; the map of operators'-chat messages to tickets; the
customer's recent orders a ticket may concern (a read of `orders`, nothing more)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.shop.enums import TicketAuthor, TicketState
from db.models import Order, SupportMessage, SupportTicket
from db.repositories.base import Repo


class TicketRepo(Repo):
    async def create(self, **values: Any) -> SupportTicket:
        row = SupportTicket(**values)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, ticket_id: int) -> SupportTicket | None:
        stmt = select(SupportTicket).where(SupportTicket.id == ticket_id)
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def change(
        self,
        ticket_id: int,
        *,
        states: Collection[TicketState] | None = None,
        **values: Any,
    ) -> SupportTicket | None:
        """One conditional UPDATE: only while the ticket is in one of `states` (any state
        when None). The updated row, or None when the condition did not hold."""
        stmt = update(SupportTicket).where(SupportTicket.id == ticket_id)
        if states is not None:
            stmt = stmt.where(SupportTicket.state.in_(list(states)))
        stmt = stmt.values(**values).returning(SupportTicket)
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def opened_since(self, user_id: int, since: datetime) -> int:
        stmt = select(func.count()).where(
            SupportTicket.user_id == user_id, SupportTicket.created_at > since
        )
        return await self.session.scalar(stmt) or 0

    async def latest_unclosed(self, user_id: int) -> SupportTicket | None:
        stmt = (
            select(SupportTicket)
            .where(SupportTicket.user_id == user_id, SupportTicket.state != TicketState.CLOSED)
            .order_by(SupportTicket.id.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def listing(
        self,
        *,
        states: Collection[TicketState] | None = None,
        assignee_id: int | None = None,
        limit: int,
    ) -> list[SupportTicket]:
        """Newest first."""
        stmt = select(SupportTicket)
        if states is not None:
            stmt = stmt.where(SupportTicket.state.in_(list(states)))
        if assignee_id is not None:
            stmt = stmt.where(SupportTicket.assignee_id == assignee_id)
        stmt = stmt.order_by(SupportTicket.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    async def count_unclosed(self) -> int:
        stmt = select(func.count()).where(SupportTicket.state != TicketState.CLOSED)
        return await self.session.scalar(stmt) or 0

    async def answered_before(self, before: datetime, *, limit: int) -> list[int]:
        """Tickets left `answered` since before `before` (the oldest first)."""
        stmt = (
            select(SupportTicket.id)
            .where(
                SupportTicket.state == TicketState.ANSWERED,
                SupportTicket.answered_at < before,
            )
            .order_by(SupportTicket.answered_at)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    # --- messages ---------------------------------------------------------------------

    async def add_message(self, **values: Any) -> SupportMessage:
        row = SupportMessage(**values)
        self.session.add(row)
        await self.session.flush()
        return row

    async def place_message(
        self, message_id: int, *, chat_id: int, operator_message_id: int
    ) -> None:
        """Where a message stands in the operators' chat (a reply to it there is the ticket's)."""
        stmt = (
            update(SupportMessage)
            .where(SupportMessage.id == message_id)
            .values(operator_chat_id=chat_id, operator_message_id=operator_message_id)
        )
        await self.session.execute(stmt)

    async def ticket_of_operator_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a message of the operators' chat belongs to: its thread message or
        any message of the thread."""
        by_thread = select(SupportTicket.id).where(
            SupportTicket.thread_chat_id == chat_id, SupportTicket.thread_message_id == message_id
        )
        found = await self.session.scalar(by_thread)
        if found is not None:
            return found
        by_message = select(SupportMessage.ticket_id).where(
            SupportMessage.operator_chat_id == chat_id,
            SupportMessage.operator_message_id == message_id,
        )
        return await self.session.scalar(by_message)

    async def customer_messages_since(self, user_id: int, since: datetime) -> int:
        stmt = select(func.count()).where(
            SupportMessage.user_id == user_id,
            SupportMessage.author == TicketAuthor.CUSTOMER,
            SupportMessage.created_at > since,
        )
        return await self.session.scalar(stmt) or 0

    # --- the customer's orders (read only) --------------------------------------------

    async def recent_orders(self, user_id: int, *, limit: int) -> list[Order]:
        stmt = select(Order).where(Order.user_id == user_id).order_by(Order.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    async def order_of(self, user_id: int, order_id: int) -> Order | None:
        """The order when it is this customer's (anyone else's is not found)."""
        stmt = select(Order).where(Order.id == order_id, Order.user_id == user_id)
        return await self.session.scalar(stmt)

    async def order(self, order_id: int) -> Order | None:
        return await self.session.scalar(select(Order).where(Order.id == order_id))


__all__ = ["TicketRepo"]
