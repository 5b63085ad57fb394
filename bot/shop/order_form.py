"""The order form: which fields each service type asks for, and how each answer is read.

Pure rules, no I/O: the Telegram flow asks the steps one at a time and hands every answer
to `read_answer`, which returns the clean value or raises a domain error with data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.numbers import parse_whole
from bot.provider.models import SUBSCRIPTION_DELAYS, ServiceType
from bot.shop.errors import InvalidOrderField, NotAWholeNumber, QuantityOutOfRange


class Step(StrEnum):
    LINK = "link"
    QUANTITY = "quantity"
    RUNS = "runs"
    INTERVAL = "interval"
    COMMENTS = "comments"
    USERNAMES = "usernames"
    KEYWORDS = "keywords"
    GROUPS = "groups"
    HASHTAGS = "hashtags"
    HASHTAG = "hashtag"
    USERNAME = "username"
    MEDIA = "media"
    ANSWER_NUMBER = "answer_number"
    MIN = "min"
    MAX = "max"
    POSTS = "posts"
    OLD_POSTS = "old_posts"
    DELAY = "delay"
    EXPIRY = "expiry"


# Fields of the form by type, in the order they are asked.
STEPS: dict[ServiceType, tuple[Step, ...]] = {
    ServiceType.DEFAULT: (Step.LINK, Step.QUANTITY),
    ServiceType.PACKAGE: (Step.LINK,),
    ServiceType.CUSTOM_COMMENTS: (Step.LINK, Step.COMMENTS),
    ServiceType.CUSTOM_COMMENTS_PACKAGE: (Step.LINK, Step.COMMENTS),
    ServiceType.SEO: (Step.LINK, Step.QUANTITY, Step.KEYWORDS),
    ServiceType.MENTIONS: (Step.LINK, Step.QUANTITY, Step.USERNAMES),
    ServiceType.MENTIONS_WITH_HASHTAGS: (Step.LINK, Step.QUANTITY, Step.USERNAMES, Step.HASHTAGS),
    ServiceType.MENTIONS_CUSTOM_LIST: (Step.LINK, Step.USERNAMES),
    ServiceType.MENTIONS_HASHTAG: (Step.LINK, Step.QUANTITY, Step.HASHTAG),
    ServiceType.MENTIONS_USER_FOLLOWERS: (Step.LINK, Step.QUANTITY, Step.USERNAME),
    ServiceType.MENTIONS_MEDIA_LIKERS: (Step.LINK, Step.QUANTITY, Step.MEDIA),
    ServiceType.COMMENT_LIKES: (Step.LINK, Step.QUANTITY, Step.USERNAME),
    ServiceType.COMMENT_REPLIES: (Step.LINK, Step.USERNAME, Step.COMMENTS),
    ServiceType.POLL: (Step.LINK, Step.QUANTITY, Step.ANSWER_NUMBER),
    ServiceType.INVITES_FROM_GROUPS: (Step.LINK, Step.QUANTITY, Step.GROUPS),
    ServiceType.SUBSCRIPTIONS: (
        Step.USERNAME,
        Step.MIN,
        Step.MAX,
        Step.POSTS,
        Step.OLD_POSTS,
        Step.DELAY,
        Step.EXPIRY,
    ),
}
# Types whose quantity is the number of lines of this step.
QUANTITY_FROM_LINES: dict[ServiceType, Step] = {
    ServiceType.CUSTOM_COMMENTS: Step.COMMENTS,
    ServiceType.CUSTOM_COMMENTS_PACKAGE: Step.COMMENTS,
    ServiceType.MENTIONS_CUSTOM_LIST: Step.USERNAMES,
    ServiceType.COMMENT_REPLIES: Step.COMMENTS,
}
LINE_STEPS = frozenset({Step.COMMENTS, Step.USERNAMES, Step.KEYWORDS, Step.GROUPS, Step.HASHTAGS})
OPTIONAL_STEPS = frozenset({Step.RUNS, Step.OLD_POSTS, Step.EXPIRY})

MAX_LINK = 500
MAX_LINE = 300
MAX_LINES = 1000
MAX_TEXT = 3500  # one Telegram message must still show it back in the summary
MAX_RUNS = 100
MAX_INTERVAL = 1440  # minutes
MAX_POSTS = 1000
MAX_OLD_POSTS = 100
MAX_ANSWER = 20

_USERNAME = re.compile(r"^@?([A-Za-z0-9_.]{1,64})$")
_HASHTAG = re.compile(r"^#?(\w{1,100})$")
_HANDLE = re.compile(r"^@([A-Za-z0-9_]{4,64})$")
_TME = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(\S+)$", re.I)
# A host as people type it without a scheme ("instagram.com", "www.tiktok.com"): names
# of letters, digits and hyphens, with at least one dot.
_BARE_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)+$")


@dataclass(frozen=True, slots=True)
class FormService:
    """What the form needs to know of a service."""

    type: ServiceType
    min: int
    max: int
    dripfeed: bool
    platform: str


def steps_for(service: FormService) -> tuple[Step, ...]:
    steps = STEPS[service.type]
    if service.type is ServiceType.DEFAULT and service.dripfeed:
        steps = (*steps, Step.RUNS, Step.INTERVAL)
    return steps


def next_step(service: FormService, answers: Mapping[str, Any]) -> Step | None:
    """The first step not answered yet; the interval is asked only when runs were given."""
    for step in steps_for(service):
        if step.value in answers:
            continue
        if step is Step.INTERVAL and answers.get(Step.RUNS.value) is None:
            continue
        return step
    return None


def _whole(text: str, step: Step) -> int:
    """ASCII digits, with spaces, commas or apostrophes between groups ("10 000")."""
    cleaned = re.sub(r"[\s_,']", "", text.strip()[:64])
    value = parse_whole(cleaned)
    if value is None:
        raise InvalidOrderField(step.value, "not_a_whole_number")
    return value


def _bounded(text: str, step: Step, low: int, high: int) -> int:
    try:
        value = _whole(text, step)
    except InvalidOrderField:
        raise NotAWholeNumber(step.value, low, high) from None
    if not low <= value <= high:
        raise QuantityOutOfRange(value, low, high, field=step.value)
    return value


def _lines(text: str, step: Step) -> str:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        raise InvalidOrderField(step.value, "empty")
    if len(lines) > MAX_LINES or len(text) > MAX_TEXT:
        raise InvalidOrderField(step.value, "too_long")
    if any(len(line) > MAX_LINE for line in lines):
        raise InvalidOrderField(step.value, "line_too_long")
    if step is Step.USERNAMES and not all(_USERNAME.match(line) for line in lines):
        raise InvalidOrderField(step.value, "bad_username")
    return "\n".join(lines)


def _with_scheme(value: str) -> str:
    """`value` with https:// in front when it was typed without a scheme
    ("instagram.com/p/x"); anything else unchanged, for the checks to judge."""
    if "://" in value:
        return value
    candidate = "https://" + value
    parts = urlsplit(candidate)
    if "@" in parts.netloc or ":" in parts.netloc or not _BARE_HOST.match(parts.netloc):
        return value  # "mailto:a@b.c", "javascript:…", "host:port": not a bare link
    return candidate


def read_link(text: str, platform: str) -> str:
    """An http(s) URL, https:// added when it was left out; for Telegram services also
    @handle or t.me/... (made a URL)."""
    value = text.strip()
    if not value or len(value) > MAX_LINK or any(ch.isspace() for ch in value):
        raise InvalidOrderField(Step.LINK.value, "bad_link")
    if platform == "Telegram":
        if match := _HANDLE.match(value):
            return f"https://t.me/{match.group(1)}"
        if match := _TME.match(value):
            return f"https://t.me/{match.group(1)}"
    value = _with_scheme(value)
    if len(value) > MAX_LINK:
        raise InvalidOrderField(Step.LINK.value, "bad_link")
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or "." not in host or host.startswith("."):
        raise InvalidOrderField(Step.LINK.value, "bad_link")
    return value


def read_answer(service: FormService, step: Step, text: str, answers: Mapping[str, Any]) -> Any:
    """The clean value of one answer, or a domain error saying what is wrong with it."""
    text = text or ""
    match step:
        case Step.LINK:
            return read_link(text, service.platform)
        case Step.MEDIA:
            return read_link(text, "")
        case Step.QUANTITY:
            return _bounded(text, step, service.min, service.max)
        case Step.RUNS:
            return _bounded(text, step, 2, MAX_RUNS)
        case Step.INTERVAL:
            return _bounded(text, step, 1, MAX_INTERVAL)
        case Step.ANSWER_NUMBER:
            return _bounded(text, step, 1, MAX_ANSWER)
        case Step.MIN:
            return _bounded(text, step, service.min, service.max)
        case Step.MAX:
            return _bounded(text, step, int(answers.get(Step.MIN.value, service.min)), service.max)
        case Step.POSTS:
            return _bounded(text, step, 1, MAX_POSTS)
        case Step.OLD_POSTS:
            return _bounded(text, step, 0, MAX_OLD_POSTS)
        case Step.DELAY:
            value = _whole(text, step)
            if value not in SUBSCRIPTION_DELAYS:
                raise InvalidOrderField(step.value, "not_allowed")
            return value
        case Step.EXPIRY:
            return read_expiry(text)
        case Step.USERNAME:
            if not (match := _USERNAME.match(text.strip())):
                raise InvalidOrderField(step.value, "bad_username")
            return match.group(1)
        case Step.HASHTAG:
            if not (match := _HASHTAG.match(text.strip())):
                raise InvalidOrderField(step.value, "bad_hashtag")
            return match.group(1)
        case _ if step in LINE_STEPS:
            lines = _lines(text, step)
            if QUANTITY_FROM_LINES.get(service.type) is step:
                count = lines.count("\n") + 1
                if not service.min <= count <= service.max:
                    raise QuantityOutOfRange(count, service.min, service.max, field=step.value)
            return lines
    raise InvalidOrderField(step.value, "unknown_step")


def read_expiry(text: str, today: date | None = None) -> str:
    """A date d/m/Y (also d.m.Y or Y-m-d) after today, stored as ISO."""
    value = text.strip()
    for fmt in ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise InvalidOrderField(Step.EXPIRY.value, "bad_date")
    if parsed <= (today or date.today()):
        raise InvalidOrderField(Step.EXPIRY.value, "past_date")
    return parsed.isoformat()
