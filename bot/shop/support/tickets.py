"""The support use cases: a customer opens a ticket (about one of their orders or none),
operators take, answer and close it in their chat, the customer writes again or reopens it,
and a ticket left answered for AUTO_CLOSE_AFTER closes itself.

Each public method is one short transaction returning DTOs; the handlers send to Telegram
after it returned. An operator's answer is sent to the customer *before* `answered()`
records it: when the customer blocked the bot nothing changes (the operator is told), so
the state never claims an answer the customer did not get. The notice of a closed ticket
is queued in the outbox in the closing transaction (`TicketNotices`), so it goes out after
the commit and is retried like every notice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.enums import TicketAuthor, TicketState
from bot.shop.errors import NotFound
from bot.shop.support.values import (
    AUTO_CLOSE_AFTER,
    FOLLOW_UPS_PER_MINUTE,
    LIST_LIMIT,
    MAX_TEXT,
    PICK_ORDERS,
    THREAD_ORDERS,
    EmptyMessage,
    ListedTicket,
    MessageTooLong,
    OrderLine,
    Posted,
    ThreadView,
    TicketClosed,
    TicketDTO,
    TicketFilter,
    TicketNotClosed,
    TicketNotFound,
    TooManyMessages,
    TooManyTickets,
)
from bot.shop.users import UserDTO
from db.models import SupportTicket
from db.repositories.audit import AuditRepo
from db.repositories.tickets import TicketRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

UNCLOSED = (TicketState.OPEN, TicketState.ANSWERED)


class TicketNotices(Protocol):
    """What the customer is told when a ticket closes, queued in the closing transaction."""

    async def closed(self, view: ThreadView, *, auto: bool) -> None: ...


class SupportService:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        *,
        tickets_per_hour: int,
        notices: TicketNotices | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.tickets_per_hour = tickets_per_hour
        self.notices = notices
        self.repo = TicketRepo(session)
        self.users = UserRepo(session)

    # --- the customer -----------------------------------------------------------------

    @reads
    async def recent_orders(self, user_id: int) -> list[OrderLine]:
        rows = await self.repo.recent_orders(user_id, limit=PICK_ORDERS)
        return [OrderLine.of(row) for row in rows]

    @reads
    async def unclosed(self, user_id: int) -> TicketDTO | None:
        """The customer's latest ticket still open or answered, if any."""
        row = await self.repo.latest_unclosed(user_id)
        return TicketDTO.of(row) if row is not None else None

    @reads
    async def own_ticket(self, user_id: int, ticket_id: int) -> TicketDTO | None:
        """The ticket when it is this customer's; None for a missing one or anyone else's."""
        row = await self.repo.get(ticket_id)
        return TicketDTO.of(row) if row is not None and row.user_id == user_id else None

    @reads
    async def check_can_open(self, user_id: int) -> None:
        """TooManyTickets when the customer opened the hourly limit's worth already."""
        await self._check_rate(user_id)

    @reads
    async def order_of(self, user_id: int, order_id: int) -> OrderLine:
        """The customer's own order (anyone else's is NotFound, like a missing one)."""
        row = await self.repo.order_of(user_id, order_id)
        if row is None:
            raise NotFound("order", order_id)
        return OrderLine.of(row)

    @writes
    async def open(
        self, user_id: int, *, order_id: int | None, text: str, photo: str | None
    ) -> Posted:
        """A new ticket with its first message. Raises EmptyMessage, MessageTooLong,
        TooManyTickets, NotFound (an order that is not the customer's); nothing is stored
        then."""
        _check_message(text, photo)
        if order_id is not None and await self.repo.order_of(user_id, order_id) is None:
            raise NotFound("order", order_id)
        await self._check_rate(user_id)
        now = self.clock.now()
        ticket = await self.repo.create(
            user_id=user_id,
            order_id=order_id,
            state=TicketState.OPEN,
            text=text,
            created_at=now,
            updated_at=now,
        )
        message = await self.repo.add_message(
            ticket_id=ticket.id,
            user_id=user_id,
            author=TicketAuthor.CUSTOMER,
            author_id=await self._telegram_id(user_id),
            text=text,
            photo=photo,
            created_at=now,
        )
        return Posted(await self._view(ticket), message.id)

    @writes
    async def follow_up(
        self, user_id: int, ticket_id: int, *, text: str, photo: str | None
    ) -> Posted:
        """The customer writes again in their ticket: it is open again. Raises
        TicketNotFound (not theirs), TicketClosed, EmptyMessage, MessageTooLong,
        TooManyMessages; nothing is stored then."""
        ticket = await self._own(user_id, ticket_id)
        if ticket.state is TicketState.CLOSED:
            raise TicketClosed(ticket_id)
        _check_message(text, photo)
        now = self.clock.now()
        recent = await self.repo.customer_messages_since(user_id, now - timedelta(minutes=1))
        if recent >= FOLLOW_UPS_PER_MINUTE:
            raise TooManyMessages(FOLLOW_UPS_PER_MINUTE)
        message = await self.repo.add_message(
            ticket_id=ticket_id,
            user_id=user_id,
            author=TicketAuthor.CUSTOMER,
            author_id=await self._telegram_id(user_id),
            text=text,
            photo=photo,
            created_at=now,
        )
        changed = await self.repo.change(
            ticket_id, states=UNCLOSED, state=TicketState.OPEN, updated_at=now
        )
        if changed is None:  # closed meanwhile (the same transaction cannot see that)
            raise TicketClosed(ticket_id)
        reopened = ticket.state is TicketState.ANSWERED
        return Posted(await self._view(changed), message.id, reopened=reopened)

    @writes
    async def reopen_by_customer(self, user_id: int, ticket_id: int) -> ThreadView:
        """The customer's Reopen under the notice of a closed ticket. Raises TicketNotFound,
        TicketNotClosed."""
        await self._own(user_id, ticket_id)
        return await self._reopen(ticket_id)

    # --- the operators ----------------------------------------------------------------

    @writes
    async def place_thread(self, ticket_id: int, *, chat_id: int, message_id: int) -> None:
        """The ticket's thread message in the operators' chat (replies to it answer it)."""
        await self.repo.change(ticket_id, thread_chat_id=chat_id, thread_message_id=message_id)

    @writes
    async def place_message(
        self, message_id: int, *, chat_id: int, operator_message_id: int
    ) -> None:
        """Where a message of the ticket stands in the operators' chat."""
        await self.repo.place_message(
            message_id, chat_id=chat_id, operator_message_id=operator_message_id
        )

    @writes
    async def place_note(self, ticket_id: int, *, chat_id: int, operator_message_id: int) -> None:
        """The bot's own message in the ticket's thread (a note, the order's card): a reply
        to it answers the ticket too."""
        row = await self.repo.get(ticket_id)
        if row is None:
            return
        await self.repo.add_message(
            ticket_id=ticket_id,
            user_id=row.user_id,
            author=TicketAuthor.NOTE,
            author_id=None,
            text="",
            photo=None,
            operator_chat_id=chat_id,
            operator_message_id=operator_message_id,
            created_at=self.clock.now(),
        )

    @reads
    async def thread(self, ticket_id: int) -> ThreadView:
        row = await self.repo.get(ticket_id)
        if row is None:
            raise TicketNotFound(ticket_id)
        return await self._view(row)

    @reads
    async def for_operator_message(self, chat_id: int, message_id: int) -> ThreadView | None:
        """The ticket a message of the operators' chat belongs to; None for any other."""
        ticket_id = await self.repo.ticket_of_operator_message(chat_id, message_id)
        if ticket_id is None:
            return None
        row = await self.repo.get(ticket_id)
        return await self._view(row) if row is not None else None

    @writes
    async def answered(
        self,
        ticket_id: int,
        *,
        operator_id: int,
        text: str,
        photo: str | None,
        chat_id: int,
        operator_message_id: int,
    ) -> ThreadView:
        """Record an answer the customer has got: the ticket is answered (the 72 hours
        start), and the operator's message belongs to the thread from now on."""
        row = await self.repo.get(ticket_id)
        if row is None:
            raise TicketNotFound(ticket_id)
        now = self.clock.now()
        await self.repo.add_message(
            ticket_id=ticket_id,
            user_id=row.user_id,
            author=TicketAuthor.OPERATOR,
            author_id=operator_id,
            text=text,
            photo=photo,
            operator_chat_id=chat_id,
            operator_message_id=operator_message_id,
            created_at=now,
        )
        changed = await self.repo.change(
            ticket_id,
            states=UNCLOSED,
            state=TicketState.ANSWERED,
            answered_at=now,
            updated_at=now,
        )
        return await self._view(changed or row)

    @writes
    async def take(self, ticket_id: int, *, operator_id: int, name: str) -> ThreadView:
        """Assign the ticket to the operator who pressed Take. Raises TicketNotFound,
        TicketClosed."""
        row = await self.repo.get(ticket_id)
        if row is None:
            raise TicketNotFound(ticket_id)
        changed = await self.repo.change(
            ticket_id,
            states=UNCLOSED,
            assignee_id=operator_id,
            assignee_name=name[:64],
            updated_at=self.clock.now(),
        )
        if changed is None:
            raise TicketClosed(ticket_id)
        await self._audit(operator_id, "ticket_take", ticket_id)
        return await self._view(changed)

    @writes
    async def close(self, ticket_id: int, *, actor_id: int) -> ThreadView:
        """An operator's Close; the customer's notice is queued with it. Raises
        TicketNotFound, TicketClosed (already)."""
        row = await self.repo.get(ticket_id)
        if row is None:
            raise TicketNotFound(ticket_id)
        view = await self._close(ticket_id, auto=False)
        if view is None:
            raise TicketClosed(ticket_id)
        await self._audit(actor_id, "ticket_close", ticket_id)
        return view

    @writes
    async def reopen(self, ticket_id: int, *, actor_id: int) -> ThreadView:
        """An operator's Reopen of a closed ticket. Raises TicketNotFound, TicketNotClosed."""
        if await self.repo.get(ticket_id) is None:
            raise TicketNotFound(ticket_id)
        view = await self._reopen(ticket_id)
        await self._audit(actor_id, "ticket_reopen", ticket_id)
        return view

    @writes
    async def close_stale(self, *, limit: int = 100) -> list[ThreadView]:
        """Close the tickets left answered for AUTO_CLOSE_AFTER (each customer's notice
        queued with it)."""
        before = self.clock.now() - AUTO_CLOSE_AFTER
        closed: list[ThreadView] = []
        for ticket_id in await self.repo.answered_before(before, limit=limit):
            view = await self._close(ticket_id, auto=True, only=(TicketState.ANSWERED,))
            if view is not None:
                closed.append(view)
        return closed

    @reads
    async def listing(self, which: TicketFilter, *, actor_id: int) -> list[ListedTicket]:
        states = None if which is TicketFilter.ALL else UNCLOSED
        assignee = actor_id if which is TicketFilter.MINE else None
        rows = await self.repo.listing(states=states, assignee_id=assignee, limit=LIST_LIMIT)
        listed: list[ListedTicket] = []
        for row in rows:
            user = await self.users.get(row.user_id)
            listed.append(ListedTicket(TicketDTO.of(row), UserDTO.of(user) if user else None))
        return listed

    @reads
    async def count_unclosed(self) -> int:
        return await self.repo.count_unclosed()

    # --- inside ------------------------------------------------------------------------

    async def _audit(self, actor_id: int, action: str, ticket_id: int) -> None:
        """Operators' actions on tickets are kept like admins' (they may not be admins)."""
        await AuditRepo(self.session).record(
            actor_id, action, now=self.clock.now(), target_type="ticket", target_id=ticket_id
        )

    async def _check_rate(self, user_id: int) -> None:
        since = self.clock.now() - timedelta(hours=1)
        if await self.repo.opened_since(user_id, since) >= self.tickets_per_hour:
            raise TooManyTickets(self.tickets_per_hour)

    async def _own(self, user_id: int, ticket_id: int) -> TicketDTO:
        row = await self.repo.get(ticket_id)
        if row is None or row.user_id != user_id:
            raise TicketNotFound(ticket_id)
        return TicketDTO.of(row)

    async def _telegram_id(self, user_id: int) -> int | None:
        user = await self.users.get(user_id)
        return user.telegram_id if user is not None else None

    async def _close(
        self, ticket_id: int, *, auto: bool, only: tuple[TicketState, ...] = UNCLOSED
    ) -> ThreadView | None:
        now = self.clock.now()
        changed = await self.repo.change(
            ticket_id, states=only, state=TicketState.CLOSED, closed_at=now, updated_at=now
        )
        if changed is None:
            return None
        view = await self._view(changed)
        if self.notices is not None:
            await self.notices.closed(view, auto=auto)
        return view

    async def _reopen(self, ticket_id: int) -> ThreadView:
        now = self.clock.now()
        changed = await self.repo.change(
            ticket_id,
            states=(TicketState.CLOSED,),
            state=TicketState.OPEN,
            closed_at=None,
            updated_at=now,
        )
        if changed is None:
            raise TicketNotClosed(ticket_id)
        return await self._view(changed)

    async def _view(self, row: SupportTicket) -> ThreadView:
        user = await self.users.get(row.user_id)
        if user is None:  # users are never deleted (RESTRICT): a broken database
            raise TicketNotFound(row.id)
        orders = await self.repo.recent_orders(row.user_id, limit=THREAD_ORDERS)
        order = None
        if row.order_id is not None:
            found = await self.repo.order(row.order_id)
            order = OrderLine.of(found) if found is not None else None
        return ThreadView(
            TicketDTO.of(row), UserDTO.of(user), tuple(OrderLine.of(o) for o in orders), order
        )


def _check_message(text: str, photo: str | None) -> None:
    if not text.strip() and not photo:
        raise EmptyMessage()
    if len(text) > MAX_TEXT:
        raise MessageTooLong(len(text))


__all__ = ["SupportService", "TicketNotices"]
