"""What the support use cases hand out (frozen DTOs) and the refusals they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.shop.enums import OrderState, TicketState
from bot.shop.errors import ShopError
from bot.shop.money import Micro
from bot.shop.users import UserDTO
from db.models import Order, SupportTicket

MAX_TEXT = 2000  # characters of one message (text or caption) a ticket takes
FOLLOW_UPS_PER_MINUTE = 10  # an album of photos is several messages
AUTO_CLOSE_AFTER = timedelta(hours=72)  # a ticket left answered this long closes itself
PICK_ORDERS = 5  # the recent orders a new ticket may concern
THREAD_ORDERS = 3  # the customer's last orders shown to operators
LIST_LIMIT = 30  # /tickets: one message


class TicketFilter(StrEnum):
    OPEN = "open"  # open and answered: still someone's to finish
    MINE = "mine"  # open and answered, taken by the one who asks
    ALL = "all"


@dataclass(frozen=True, slots=True)
class TicketDTO:
    id: int
    user_id: int
    order_id: int | None
    state: TicketState
    text: str
    assignee_id: int | None
    assignee_name: str | None
    thread_chat_id: int | None
    thread_message_id: int | None
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, row: SupportTicket) -> TicketDTO:
        return cls(
            id=row.id,
            user_id=row.user_id,
            order_id=row.order_id,
            state=TicketState(row.state),
            text=row.text,
            assignee_id=row.assignee_id,
            assignee_name=row.assignee_name,
            thread_chat_id=row.thread_chat_id,
            thread_message_id=row.thread_message_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            answered_at=row.answered_at,
            closed_at=row.closed_at,
        )

    @property
    def closed(self) -> bool:
        return self.state is TicketState.CLOSED


@dataclass(frozen=True, slots=True)
class OrderLine:
    """An order as a ticket names it."""

    id: int
    state: OrderState
    service_name: str
    charge: Micro
    currency: str
    created_at: datetime

    @classmethod
    def of(cls, row: Order) -> OrderLine:
        return cls(
            id=row.id,
            state=OrderState(row.state),
            service_name=row.service_name,
            charge=row.charge,
            currency=row.currency,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class ThreadView:
    """Everything the operators' thread message shows, and whom an answer goes to."""

    ticket: TicketDTO
    customer: UserDTO
    orders: tuple[OrderLine, ...]  # the customer's last few
    order: OrderLine | None  # the one the ticket concerns


@dataclass(frozen=True, slots=True)
class Posted:
    """A customer's message taken into a ticket (a new ticket's first one, or a follow-up):
    the message row to place in the operators' chat once it is sent there."""

    view: ThreadView
    message_id: int
    reopened: bool = False  # a follow-up moved the ticket from answered back to open


@dataclass(frozen=True, slots=True)
class ListedTicket:
    ticket: TicketDTO
    customer: UserDTO | None


class TicketNotFound(ShopError):
    """No such ticket, or not this customer's: the same answer for both."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(ticket_id=ticket_id)
        self.ticket_id = ticket_id


class TicketClosed(ShopError):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(ticket_id=ticket_id)
        self.ticket_id = ticket_id


class TicketNotClosed(ShopError):
    """Reopen of a ticket that is not closed."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(ticket_id=ticket_id)
        self.ticket_id = ticket_id


class TooManyTickets(ShopError):
    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)
        self.limit = limit


class TooManyMessages(ShopError):
    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)
        self.limit = limit


class MessageTooLong(ShopError):
    def __init__(self, length: int, limit: int = MAX_TEXT) -> None:
        super().__init__(length=length, limit=limit)
        self.length = length
        self.limit = limit


class EmptyMessage(ShopError):
    """Neither text nor a photo (a sticker, a voice message)."""

    def __init__(self) -> None:
        super().__init__()


__all__ = [
    "AUTO_CLOSE_AFTER",
    "FOLLOW_UPS_PER_MINUTE",
    "LIST_LIMIT",
    "MAX_TEXT",
    "PICK_ORDERS",
    "THREAD_ORDERS",
    "EmptyMessage",
    "ListedTicket",
    "MessageTooLong",
    "OrderLine",
    "Posted",
    "ThreadView",
    "TicketClosed",
    "TicketDTO",
    "TicketFilter",
    "TicketNotClosed",
    "TicketNotFound",
    "TooManyMessages",
    "TooManyTickets",
]
