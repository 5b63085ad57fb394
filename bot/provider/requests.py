"""`add` requests: one typed request per service type, validated before sending.

Each type declares which of its fields are required text, positive counts, and lists
sent one item per line; the shared base checks those and builds the form, and a type
adds its own rules in `check()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import date
from enum import StrEnum
from types import MappingProxyType, NoneType, UnionType
from typing import ClassVar, get_args, get_type_hints

from bot.provider.models import SUBSCRIPTION_DELAYS, ServiceType


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
    TYPE: ClassVar[ServiceType] = ServiceType.DEFAULT
    TEXT: ClassVar[tuple[str, ...]] = ()  # required, not blank
    COUNTS: ClassVar[tuple[str, ...]] = ()  # required positive whole numbers
    LINES: ClassVar[tuple[str, ...]] = ()  # required, sent one item per line

    def validate(self) -> None:
        _require_text("service", self.service_id)
        for name in self.TEXT:
            _require_text(name, getattr(self, name))
        for name in self.COUNTS:
            _require_positive(name, getattr(self, name))
        for name in self.LINES:
            if not _lines(getattr(self, name)):
                raise InvalidRequest(name, "at least one line")
        self.check()

    def check(self) -> None:
        """Rules of the type beyond its required fields."""

    def fields(self) -> dict[str, str]:
        """Type-specific form fields, besides key, action and service; None is left out."""
        out: dict[str, str] = {}
        for field in dc_fields(self):
            value = getattr(self, field.name)
            if field.name == "service_id" or value is None:
                continue
            if field.name in self.LINES:
                out[field.name] = "\n".join(_lines(value))
            elif isinstance(value, date):
                out[field.name] = value.strftime("%d/%m/%Y")
            else:
                out[field.name] = str(value)
        return out

    def form(self) -> dict[str, str]:
        self.validate()
        return {"service": self.service_id, **self.fields()}


class _CountsLines:
    """For types whose quantity is the number of lines of one field."""

    __slots__ = ()
    COUNTED: ClassVar[str]

    @property
    def quantity(self) -> int:
        return len(_lines(getattr(self, self.COUNTED)))


@dataclass(frozen=True, slots=True)
class DefaultAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    runs: int | None = None  # drip-feed
    interval: int | None = None  # minutes between runs
    TYPE = ServiceType.DEFAULT
    TEXT = ("link",)
    COUNTS = ("quantity",)

    def check(self) -> None:
        if (self.runs is None) != (self.interval is None):
            raise InvalidRequest("runs", "runs and interval go together")
        if self.runs is not None:
            _require_positive("runs", self.runs)
            _require_positive("interval", self.interval)


@dataclass(frozen=True, slots=True)
class PackageAdd(AddRequest):
    link: str = ""
    TYPE = ServiceType.PACKAGE
    TEXT = ("link",)


@dataclass(frozen=True, slots=True)
class CustomCommentsAdd(_CountsLines, AddRequest):
    link: str = ""
    comments: str = ""
    TYPE = ServiceType.CUSTOM_COMMENTS
    TEXT = ("link",)
    LINES = ("comments",)
    COUNTED = "comments"


@dataclass(frozen=True, slots=True)
class CustomCommentsPackageAdd(CustomCommentsAdd):
    TYPE = ServiceType.CUSTOM_COMMENTS_PACKAGE


@dataclass(frozen=True, slots=True)
class SeoAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    keywords: str = ""
    TYPE = ServiceType.SEO
    TEXT = ("link",)
    COUNTS = ("quantity",)
    LINES = ("keywords",)


@dataclass(frozen=True, slots=True)
class MentionsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    usernames: str = ""
    TYPE = ServiceType.MENTIONS
    TEXT = ("link",)
    COUNTS = ("quantity",)
    LINES = ("usernames",)


@dataclass(frozen=True, slots=True)
class MentionsWithHashtagsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    usernames: str = ""
    hashtags: str = ""
    TYPE = ServiceType.MENTIONS_WITH_HASHTAGS
    TEXT = ("link",)
    COUNTS = ("quantity",)
    LINES = ("usernames", "hashtags")


@dataclass(frozen=True, slots=True)
class MentionsCustomListAdd(_CountsLines, AddRequest):
    link: str = ""
    usernames: str = ""
    TYPE = ServiceType.MENTIONS_CUSTOM_LIST
    TEXT = ("link",)
    LINES = ("usernames",)
    COUNTED = "usernames"


@dataclass(frozen=True, slots=True)
class MentionsHashtagAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    hashtag: str = ""
    TYPE = ServiceType.MENTIONS_HASHTAG
    TEXT = ("link", "hashtag")
    COUNTS = ("quantity",)


@dataclass(frozen=True, slots=True)
class MentionsUserFollowersAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    username: str = ""
    TYPE = ServiceType.MENTIONS_USER_FOLLOWERS
    TEXT = ("link", "username")
    COUNTS = ("quantity",)


@dataclass(frozen=True, slots=True)
class MentionsMediaLikersAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    media: str = ""
    TYPE = ServiceType.MENTIONS_MEDIA_LIKERS
    TEXT = ("link", "media")
    COUNTS = ("quantity",)


@dataclass(frozen=True, slots=True)
class CommentLikesAdd(MentionsUserFollowersAdd):
    TYPE = ServiceType.COMMENT_LIKES


@dataclass(frozen=True, slots=True)
class CommentRepliesAdd(_CountsLines, AddRequest):
    link: str = ""
    username: str = ""
    comments: str = ""
    TYPE = ServiceType.COMMENT_REPLIES
    TEXT = ("link", "username")
    LINES = ("comments",)
    COUNTED = "comments"


@dataclass(frozen=True, slots=True)
class PollAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    answer_number: int = 0
    TYPE = ServiceType.POLL
    TEXT = ("link",)
    COUNTS = ("quantity", "answer_number")


@dataclass(frozen=True, slots=True)
class InvitesFromGroupsAdd(AddRequest):
    link: str = ""
    quantity: int = 0
    groups: str = ""
    TYPE = ServiceType.INVITES_FROM_GROUPS
    TEXT = ("link",)
    COUNTS = ("quantity",)
    LINES = ("groups",)


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
    TEXT = ("username",)
    COUNTS = ("min", "max")

    def check(self) -> None:
        if self.max < self.min:
            raise InvalidRequest("max", "must not be below min")
        if self.delay not in SUBSCRIPTION_DELAYS:
            raise InvalidRequest("delay", "not one of the allowed delays")
        if self.posts is not None:
            _require_positive("posts", self.posts)
        if self.old_posts is not None and self.old_posts < 0:
            raise InvalidRequest("old_posts", "must not be negative")


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

    def check(self) -> None:
        if not self.form_fields:
            raise InvalidRequest("form", "empty")

    def fields(self) -> dict[str, str]:
        return dict(self.form_fields)


class InputKind(StrEnum):
    """What a customer's value for a request field must become before the request is
    built: a whole number, a date, or text."""

    COUNT = "count"
    DATE = "date"
    TEXT = "text"


_KINDS: Mapping[type, InputKind] = {int: InputKind.COUNT, date: InputKind.DATE, str: InputKind.TEXT}


def _kind(request_cls: type[AddRequest], name: str, hint: object) -> InputKind:
    """The kind of an `int`, `date` or `str` field, optional or not; any other type is a
    declaration this module does not know how to fill from a form, and fails loudly."""
    base = hint
    if isinstance(hint, UnionType):
        others = [arg for arg in get_args(hint) if arg is not NoneType]
        base = others[0] if len(others) == 1 else hint
    if not isinstance(base, type) or base not in _KINDS:
        raise TypeError(f"{request_cls.__name__}.{name}: no input kind for {hint!r}")
    return _KINDS[base]


def input_kinds(request_cls: type[AddRequest]) -> Mapping[str, InputKind]:
    """The fields a customer fills for this request type (all but `service_id`) and the
    kind of value each takes, from the dataclass's resolved type annotations."""
    hints = get_type_hints(request_cls)
    return MappingProxyType(
        {
            f.name: _kind(request_cls, f.name, hints[f.name])
            for f in dc_fields(request_cls)
            if f.name != "service_id"
        }
    )


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

# Resolved once, at import: a field of a type with no input kind stops the start-up.
INPUT_KINDS: Mapping[ServiceType, Mapping[str, InputKind]] = MappingProxyType(
    {service_type: input_kinds(cls) for service_type, cls in REQUEST_TYPES.items()}
)
