"""Typed results and requests of the SMM panel API v2.

Provider ids are strings (panels send them as strings or numbers); amounts are Decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ServiceType(StrEnum):
    """Service types the bot knows how to order; values are the panels' spellings."""

    DEFAULT = "Default"
    PACKAGE = "Package"
    CUSTOM_COMMENTS = "Custom Comments"
    CUSTOM_COMMENTS_PACKAGE = "Custom Comments Package"
    SEO = "SEO"
    MENTIONS = "Mentions"
    MENTIONS_WITH_HASHTAGS = "Mentions with Hashtags"
    MENTIONS_CUSTOM_LIST = "Mentions Custom List"
    MENTIONS_HASHTAG = "Mentions Hashtag"
    MENTIONS_USER_FOLLOWERS = "Mentions User Followers"
    MENTIONS_MEDIA_LIKERS = "Mentions Media Likers"
    COMMENT_LIKES = "Comment Likes"
    COMMENT_REPLIES = "Comment Replies"
    POLL = "Poll"
    INVITES_FROM_GROUPS = "Invites from Groups"
    SUBSCRIPTIONS = "Subscriptions"

    @classmethod
    def parse(cls, raw: str) -> ServiceType | None:
        """The known type for a panel's spelling, or None when the bot does not know it."""
        key = _fold(raw)
        return _TYPES_BY_KEY.get(key)

    @property
    def flat_price(self) -> bool:
        """Package-like types cost `rate` per order, not per 1000 units."""
        return self in FLAT_PRICE_TYPES


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).casefold()


_TYPES_BY_KEY = {_fold(t.value): t for t in ServiceType}

# Priced per order. Subscriptions are priced per 1000 like Default, on max x posts units.
FLAT_PRICE_TYPES = frozenset({ServiceType.PACKAGE, ServiceType.CUSTOM_COMMENTS_PACKAGE})

# Subscriptions: the only delays (minutes) panels accept.
SUBSCRIPTION_DELAYS = (
    0,
    5,
    10,
    15,
    30,
    60,
    90,
    120,
    150,
    180,
    210,
    240,
    270,
    300,
    360,
    420,
    480,
    540,
    600,
)


class OrderStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    IN_PROGRESS = "in_progress"
    ACTIVE = "active"
    COMPLETED = "completed"
    PARTIAL = "partial"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    FAILED = "failed"
    UNRECOGNISED = "unrecognised"

    @classmethod
    def parse(cls, raw: str) -> OrderStatus:
        return _STATUS_BY_KEY.get(_fold(str(raw)), cls.UNRECOGNISED)

    @property
    def finished(self) -> bool:
        return self in {
            OrderStatus.COMPLETED,
            OrderStatus.PARTIAL,
            OrderStatus.CANCELED,
            OrderStatus.REFUNDED,
            OrderStatus.FAILED,
        }


_STATUS_BY_KEY: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "inprogress": OrderStatus.IN_PROGRESS,
    "active": OrderStatus.ACTIVE,
    "completed": OrderStatus.COMPLETED,
    "complete": OrderStatus.COMPLETED,
    "partial": OrderStatus.PARTIAL,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
    "fail": OrderStatus.FAILED,
    "error": OrderStatus.FAILED,
}


class RefillStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"
    UNRECOGNISED = "unrecognised"

    @classmethod
    def parse(cls, raw: str) -> RefillStatus:
        key = _fold(str(raw))
        mapping = {
            "pending": cls.PENDING,
            "inprogress": cls.IN_PROGRESS,
            "processing": cls.IN_PROGRESS,
            "completed": cls.COMPLETED,
            "complete": cls.COMPLETED,
            "rejected": cls.REJECTED,
            "canceled": cls.REJECTED,
            "cancelled": cls.REJECTED,
        }
        return mapping.get(key, cls.UNRECOGNISED)

    @property
    def finished(self) -> bool:
        return self in {RefillStatus.COMPLETED, RefillStatus.REJECTED}


@dataclass(frozen=True, slots=True)
class Service:
    service_id: str
    name: str
    type_name: str  # the panel's spelling, kept even when unknown
    type: ServiceType | None  # None: a type the bot does not support
    category: str
    rate: Decimal  # per 1000 units, or per order for flat-price types
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""

    @property
    def supported(self) -> bool:
        return self.type is not None


@dataclass(frozen=True, slots=True)
class ItemError:
    """A per-item error inside a multi reply: a value, not an exception."""

    message: str


@dataclass(frozen=True, slots=True)
class OrderState:
    order_id: str
    status: OrderStatus
    raw_status: str
    charge: Decimal | None = None
    start_count: int | None = None
    remains: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class RefillState:
    refill_id: str
    status: RefillStatus
    raw_status: str


@dataclass(frozen=True, slots=True)
class RefillCreated:
    order_id: str
    refill_id: str


@dataclass(frozen=True, slots=True)
class CancelResult:
    order_id: str
    accepted: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    balance: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class AddResult:
    order_id: str


# ---------------------------------------------------------------------------
# `add` requests: one typed request per service type, validated before sending.
# ---------------------------------------------------------------------------


class InvalidRequest(ValueError):
    """An `add` request that must not be sent: which field and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field_name = field_name
        self.reason = reason


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _require_text(name: str, value: str) -> None:
    if not value or not value.strip():
        raise InvalidRequest(name, "required")


def _require_positive(name: str, value: int | None) -> None:
    if value is None or value <= 0:
        raise InvalidRequest(name, "must be a positive whole number")


@dataclass(frozen=True, slots=True)
class AddRequest:
    """Base of every `add` request; subclasses name their type and fields."""

    service_id: str
    TYPE = ServiceType.DEFAULT  # overridden per subclass

    def validate(self) -> None:
        _require_text("service", self.service_id)

    def fields(self) -> dict[str, str]:
        """Type-specific form fields, besides key, action and service."""
        raise NotImplementedError

    def form(self) -> dict[str, str]:
        self.validate()
        return {"service": self.service_id, **self.fields()}


@dataclass(frozen=True, slots=True)
class DefaultAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    runs: int | None = None
    interval: int | None = None  # minutes
    TYPE = ServiceType.DEFAULT

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        if (self.runs is None) != (self.interval is None):
            raise InvalidRequest("runs", "runs and interval go together")
        if self.runs is not None:
            _require_positive("runs", self.runs)
            _require_positive("interval", self.interval)

    def fields(self) -> dict[str, str]:
        out = {"link": self.link, "quantity": str(self.quantity)}
        if self.runs is not None and self.interval is not None:
            out |= {"runs": str(self.runs), "interval": str(self.interval)}
        return out


@dataclass(frozen=True, slots=True)
class PackageAdd(AddRequest):
    link: str = ""
    TYPE = ServiceType.PACKAGE

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)

    def fields(self) -> dict[str, str]:
        return {"link": self.link}


@dataclass(frozen=True, slots=True)
class CustomCommentsAdd(AddRequest):
    link: str = ""
    comments: str = ""  # one per line
    TYPE = ServiceType.CUSTOM_COMMENTS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        if not _lines(self.comments):
            raise InvalidRequest("comments", "at least one line")

    def fields(self) -> dict[str, str]:
        return {"link": self.link, "comments": "\n".join(_lines(self.comments))}

    @property
    def quantity(self) -> int:
        return len(_lines(self.comments))


@dataclass(frozen=True, slots=True)
class CustomCommentsPackageAdd(CustomCommentsAdd):
    TYPE = ServiceType.CUSTOM_COMMENTS_PACKAGE


@dataclass(frozen=True, slots=True)
class SeoAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    keywords: str = ""
    TYPE = ServiceType.SEO

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        if not _lines(self.keywords):
            raise InvalidRequest("keywords", "at least one line")

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "quantity": str(self.quantity),
            "keywords": "\n".join(_lines(self.keywords)),
        }


@dataclass(frozen=True, slots=True)
class MentionsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    usernames: str = ""
    TYPE = ServiceType.MENTIONS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        if not _lines(self.usernames):
            raise InvalidRequest("usernames", "at least one line")

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "quantity": str(self.quantity),
            "usernames": "\n".join(_lines(self.usernames)),
        }


@dataclass(frozen=True, slots=True)
class MentionsWithHashtagsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    usernames: str = ""
    hashtags: str = ""
    TYPE = ServiceType.MENTIONS_WITH_HASHTAGS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        if not _lines(self.usernames):
            raise InvalidRequest("usernames", "at least one line")
        if not _lines(self.hashtags):
            raise InvalidRequest("hashtags", "at least one line")

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "quantity": str(self.quantity),
            "usernames": "\n".join(_lines(self.usernames)),
            "hashtags": "\n".join(_lines(self.hashtags)),
        }


@dataclass(frozen=True, slots=True)
class MentionsCustomListAdd(AddRequest):
    link: str = ""
    usernames: str = ""
    TYPE = ServiceType.MENTIONS_CUSTOM_LIST

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        if not _lines(self.usernames):
            raise InvalidRequest("usernames", "at least one line")

    def fields(self) -> dict[str, str]:
        return {"link": self.link, "usernames": "\n".join(_lines(self.usernames))}

    @property
    def quantity(self) -> int:
        return len(_lines(self.usernames))


@dataclass(frozen=True, slots=True)
class MentionsHashtagAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    hashtag: str = ""
    TYPE = ServiceType.MENTIONS_HASHTAG

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        _require_text("hashtag", self.hashtag)

    def fields(self) -> dict[str, str]:
        return {"link": self.link, "quantity": str(self.quantity), "hashtag": self.hashtag}


@dataclass(frozen=True, slots=True)
class MentionsUserFollowersAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    username: str = ""
    TYPE = ServiceType.MENTIONS_USER_FOLLOWERS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        _require_text("username", self.username)

    def fields(self) -> dict[str, str]:
        return {"link": self.link, "quantity": str(self.quantity), "username": self.username}


@dataclass(frozen=True, slots=True)
class MentionsMediaLikersAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    media: str = ""
    TYPE = ServiceType.MENTIONS_MEDIA_LIKERS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        _require_text("media", self.media)

    def fields(self) -> dict[str, str]:
        return {"link": self.link, "quantity": str(self.quantity), "media": self.media}


@dataclass(frozen=True, slots=True)
class CommentLikesAdd(MentionsUserFollowersAdd):
    TYPE = ServiceType.COMMENT_LIKES


@dataclass(frozen=True, slots=True)
class CommentRepliesAdd(AddRequest):
    link: str = ""
    username: str = ""
    comments: str = ""
    TYPE = ServiceType.COMMENT_REPLIES

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_text("username", self.username)
        if not _lines(self.comments):
            raise InvalidRequest("comments", "at least one line")

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "username": self.username,
            "comments": "\n".join(_lines(self.comments)),
        }

    @property
    def quantity(self) -> int:
        return len(_lines(self.comments))


@dataclass(frozen=True, slots=True)
class PollAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    answer_number: int = 0
    TYPE = ServiceType.POLL

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        _require_positive("answer_number", self.answer_number)

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "quantity": str(self.quantity),
            "answer_number": str(self.answer_number),
        }


@dataclass(frozen=True, slots=True)
class InvitesFromGroupsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    groups: str = ""
    TYPE = ServiceType.INVITES_FROM_GROUPS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("link", self.link)
        _require_positive("quantity", self.quantity)
        if not _lines(self.groups):
            raise InvalidRequest("groups", "at least one line")

    def fields(self) -> dict[str, str]:
        return {
            "link": self.link,
            "quantity": str(self.quantity),
            "groups": "\n".join(_lines(self.groups)),
        }


@dataclass(frozen=True, slots=True)
class SubscriptionsAdd(AddRequest):
    username: str = ""
    min: int = 0
    max: int = 0
    delay: int = 0
    posts: int | None = None  # future posts; None: unlimited
    old_posts: int | None = None
    expiry: date | None = None
    TYPE = ServiceType.SUBSCRIPTIONS

    def validate(self) -> None:
        AddRequest.validate(self)
        _require_text("username", self.username)
        _require_positive("min", self.min)
        _require_positive("max", self.max)
        if self.max < self.min:
            raise InvalidRequest("max", "must not be below min")
        if self.delay not in SUBSCRIPTION_DELAYS:
            raise InvalidRequest("delay", "not one of the allowed delays")
        if self.posts is not None:
            _require_positive("posts", self.posts)
        if self.old_posts is not None and self.old_posts < 0:
            raise InvalidRequest("old_posts", "must not be negative")

    def fields(self) -> dict[str, str]:
        out = {
            "username": self.username,
            "min": str(self.min),
            "max": str(self.max),
            "delay": str(self.delay),
        }
        if self.posts is not None:
            out["posts"] = str(self.posts)
        if self.old_posts is not None:
            out["old_posts"] = str(self.old_posts)
        if self.expiry is not None:
            out["expiry"] = self.expiry.strftime("%d/%m/%Y")
        return out


@dataclass(frozen=True, slots=True)
class PreparedAdd(AddRequest):
    """A form built and validated by a typed request earlier, stored, and sent as stored.

    Orders keep the exact form they will send (it is what the customer confirmed), so
    placing an order sends those fields, not a form rebuilt from other data.
    """

    form_fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, form: dict[str, str]) -> PreparedAdd:
        fields = tuple(
            (k, str(v)) for k, v in form.items() if k not in {"service", "key", "action"}
        )
        return cls(str(form.get("service", "")), fields)

    def validate(self) -> None:
        AddRequest.validate(self)
        if not self.form_fields:
            raise InvalidRequest("form", "empty")

    def fields(self) -> dict[str, str]:
        return dict(self.form_fields)


REQUEST_TYPES: dict[ServiceType, type[AddRequest]] = {
    cls.TYPE: cls
    for cls in (
        DefaultAdd,
        PackageAdd,
        CustomCommentsAdd,
        CustomCommentsPackageAdd,
        SeoAdd,
        MentionsAdd,
        MentionsWithHashtagsAdd,
        MentionsCustomListAdd,
        MentionsHashtagAdd,
        MentionsUserFollowersAdd,
        MentionsMediaLikersAdd,
        CommentLikesAdd,
        CommentRepliesAdd,
        PollAdd,
        InvitesFromGroupsAdd,
        SubscriptionsAdd,
    )
}

__all__ = [
    "REQUEST_TYPES",
    "SUBSCRIPTION_DELAYS",
    "AddRequest",
    "AddResult",
    "Balance",
    "CancelResult",
    "ItemError",
    "OrderState",
    "OrderStatus",
    "PreparedAdd",
    "RefillCreated",
    "RefillState",
    "RefillStatus",
    "Service",
    "ServiceType",
]
