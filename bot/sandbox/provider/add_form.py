"""Reading and validating an `add` form by the service's type, as a panel does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.provider.models import SUBSCRIPTION_DELAYS, ServiceType

from . import errors
from .catalog import Catalogue, SimService
from .errors import ApiError
from .wire import money

_URL = re.compile(r"^https?://[^\s/?#@]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
# Links people paste without a scheme: "t.me/channel", "instagram.com/p/abc".
_BARE_LINK = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?$", re.IGNORECASE)
_HANDLE = re.compile(r"^@[A-Za-z0-9_.]{2,64}$")


@dataclass(frozen=True, slots=True)
class _Rule:
    """The fields one type takes besides `service`."""

    link: bool = True
    quantity: bool = True  # a `quantity` field; else `lines_quantity` or one unit
    lines_quantity: str | None = None  # the field whose line count is the quantity
    lines: tuple[str, ...] = ()  # required, one item per line
    texts: tuple[str, ...] = ()  # required single values
    links: tuple[str, ...] = ()  # required links besides `link`
    numbers: tuple[str, ...] = ()  # required positive whole numbers


T = ServiceType
_DEFAULT_RULE = _Rule()
_RULES: dict[ServiceType, _Rule] = {
    T.DEFAULT: _DEFAULT_RULE,
    T.PACKAGE: _Rule(quantity=False),
    T.CUSTOM_COMMENTS: _Rule(quantity=False, lines_quantity="comments"),
    T.CUSTOM_COMMENTS_PACKAGE: _Rule(quantity=False, lines_quantity="comments"),
    T.SEO: _Rule(lines=("keywords",)),
    T.MENTIONS: _Rule(lines=("usernames",)),
    T.MENTIONS_WITH_HASHTAGS: _Rule(lines=("usernames", "hashtags")),
    T.MENTIONS_CUSTOM_LIST: _Rule(quantity=False, lines_quantity="usernames"),
    T.MENTIONS_HASHTAG: _Rule(texts=("hashtag",)),
    T.MENTIONS_USER_FOLLOWERS: _Rule(texts=("username",)),
    T.MENTIONS_MEDIA_LIKERS: _Rule(links=("media",)),
    T.COMMENT_LIKES: _Rule(texts=("username",)),
    T.COMMENT_REPLIES: _Rule(quantity=False, lines_quantity="comments", texts=("username",)),
    T.POLL: _Rule(numbers=("answer_number",)),
    T.INVITES_FROM_GROUPS: _Rule(lines=("groups",)),
}


@dataclass(frozen=True, slots=True)
class AddPlan:
    """A valid `add`: what to create and what it costs."""

    service: SimService
    link: str  # "" for Subscriptions, which take a username
    quantity: int  # units in total (drip-feed: quantity x runs; Subscriptions: max x posts)
    cost: Decimal
    runs: int | None = None
    interval: int | None = None  # minutes
    posts: int | None = None  # Subscriptions: future posts; None means unlimited
    delay: int = 0  # Subscriptions: minutes
    expiry: date | None = None  # Subscriptions


def parse_add(form: Mapping[str, str], catalogue: Catalogue, today: date) -> AddPlan:
    """The order this form asks for; raises ApiError with the panel's text otherwise."""
    raw_service = _value(form, "service")
    if not raw_service:
        raise ApiError(errors.INCORRECT_REQUEST)
    service = catalogue.get(raw_service)
    if service is None:
        raise ApiError(errors.INCORRECT_SERVICE)
    kind = service.service_type
    if kind is ServiceType.SUBSCRIPTIONS:
        return _subscription(form, service, today)
    # A type the bot does not know is still sold by the panel: like Default here.
    return _regular(form, service, _RULES.get(kind, _DEFAULT_RULE) if kind else _DEFAULT_RULE)


def _regular(form: Mapping[str, str], service: SimService, rule: _Rule) -> AddPlan:
    link = _link(form, "link") if rule.link else ""
    if rule.quantity:
        quantity = _whole(form, "quantity")
    elif rule.lines_quantity:
        quantity = len(_lines(form, rule.lines_quantity))
    else:
        quantity = 1
    if rule.quantity or rule.lines_quantity:
        _check_limits(quantity, service)
    for name in rule.lines:
        _lines(form, name)
    for name in rule.texts:
        if not _value(form, name):
            raise ApiError(errors.INCORRECT_REQUEST)
    for name in rule.links:
        _link(form, name)
    for name in rule.numbers:
        if _whole(form, name) < 1:
            raise ApiError(errors.INCORRECT_REQUEST)
    runs, interval = _dripfeed(form, service)
    units = quantity * (runs or 1)
    cost = money(service.rate if service.flat_price else service.rate * units / 1000)
    return AddPlan(service, link, units, cost, runs=runs, interval=interval)


def _subscription(form: Mapping[str, str], service: SimService, today: date) -> AddPlan:
    if not _value(form, "username"):
        raise ApiError(errors.INCORRECT_REQUEST)
    low, high = _whole(form, "min"), _whole(form, "max")
    if low < service.min or high < service.min:
        raise ApiError(errors.quantity_less(service.min))
    if high > service.max or low > service.max:
        raise ApiError(errors.quantity_more(service.max))
    if low > high:
        raise ApiError(errors.INCORRECT_REQUEST)
    delay = _whole(form, "delay")
    if delay not in SUBSCRIPTION_DELAYS:
        raise ApiError(errors.INCORRECT_DELAY)
    posts = _whole(form, "posts") if _value(form, "posts") else None
    if posts is not None and posts < 1:
        raise ApiError(errors.INCORRECT_REQUEST)
    if _value(form, "old_posts"):
        _whole(form, "old_posts")
    expiry = _expiry(_value(form, "expiry"), today) if _value(form, "expiry") else None
    # Priced per 1000 like Default, on up to `max` units for each post, paid up front
    # (bot.provider.models); unlimited posts pay for one post at a time, here the first.
    units = high * (posts or 1)
    cost = money(service.rate * units / 1000)
    return AddPlan(service, "", units, cost, posts=posts, delay=delay, expiry=expiry)


def _dripfeed(form: Mapping[str, str], service: SimService) -> tuple[int | None, int | None]:
    has_runs, has_interval = bool(_value(form, "runs")), bool(_value(form, "interval"))
    if not has_runs and not has_interval:
        return None, None
    if has_runs != has_interval:
        raise ApiError(errors.INCORRECT_REQUEST)
    if not service.dripfeed:
        raise ApiError(errors.DRIPFEED_DISABLED)
    runs, interval = _whole(form, "runs"), _whole(form, "interval")
    if runs < 1 or interval < 1:
        raise ApiError(errors.INCORRECT_REQUEST)
    return runs, interval


def _check_limits(quantity: int, service: SimService) -> None:
    if quantity < service.min:
        raise ApiError(errors.quantity_less(service.min))
    if quantity > service.max:
        raise ApiError(errors.quantity_more(service.max))


def _expiry(text: str, today: date) -> date:
    try:
        expiry = datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ApiError(errors.INCORRECT_EXPIRY) from None
    if expiry < today:
        raise ApiError(errors.INCORRECT_EXPIRY)
    return expiry


def is_link(text: str) -> bool:
    """An http(s) URL, a scheme-less link ("t.me/x") or an @handle; not free text."""
    return bool(_URL.match(text) or _BARE_LINK.match(text) or _HANDLE.match(text))


def _link(form: Mapping[str, str], name: str) -> str:
    text = _value(form, name)
    if not text:
        raise ApiError(errors.INCORRECT_REQUEST)
    if not is_link(text):
        raise ApiError(errors.INCORRECT_LINK)
    return text


def _value(form: Mapping[str, str], name: str) -> str:
    return str(form.get(name, "")).strip()


def _whole(form: Mapping[str, str], name: str) -> int:
    text = _value(form, name)
    if not text.isascii() or not text.isdigit():
        raise ApiError(errors.INCORRECT_REQUEST)
    return int(text)


def _lines(form: Mapping[str, str], name: str) -> list[str]:
    items = [line.strip() for line in _value(form, name).splitlines() if line.strip()]
    if not items:
        raise ApiError(errors.INCORRECT_REQUEST)
    return items
