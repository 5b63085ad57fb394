"""The seeded catalogue: what a real panel's listing looks like.

Every seed gives the same 34 categories and 179 services (ids, rates, limits, flags and
name tags vary with the seed). Every ServiceType appears, plus two types the bot does not
know (UNKNOWN_TYPES); the first eight Default services cover every combination of
refill/cancel/dripfeed, so tests can always find the one they need.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.provider.models import ServiceType

from .catalog import SimService

UNKNOWN_TYPES = ("Custom Data", "Web Traffic Geo")


@dataclass(frozen=True, slots=True)
class _Line:
    """A run of generated Default services selling one product."""

    product: str
    count: int
    low: str  # rate range per 1000
    high: str


@dataclass(frozen=True, slots=True)
class _Fixed:
    """A hand-written service, for the types a panel has only a few of."""

    name: str
    type: str
    rate: str
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class _Category:
    name: str
    lines: tuple[_Line, ...] = ()
    fixed: tuple[_Fixed, ...] = ()


T = ServiceType
# fmt: off
_CATEGORIES: tuple[_Category, ...] = (
    _Category("Instagram Followers", (_Line("Instagram Followers", 10, "0.45", "6.00"),)),
    _Category("Instagram Likes", (_Line("Instagram Likes", 10, "0.08", "2.50"),)),
    _Category(
        "Instagram Views",
        (
            _Line("Instagram Reels Views", 4, "0.0050", "0.30"),
            _Line("Instagram Video Views", 2, "0.0100", "0.45"),
        ),
    ),
    _Category("Instagram Story Views", (_Line("Instagram Story Views", 4, "0.02", "0.60"),)),
    _Category(
        "Instagram Comments",
        (_Line("Instagram Random Comments", 2, "2.00", "9.00"),),
        (
            _Fixed("Instagram Custom Comments [Max 1K]", T.CUSTOM_COMMENTS, "12.50", 5, 1000,
                   refill=False, cancel=True, description="One comment per line."),
            _Fixed("Instagram Custom Comments Package [10 Comments]",
                   T.CUSTOM_COMMENTS_PACKAGE, "1.90", 1, 10),
            _Fixed("Instagram Comment Likes [Max 20K]", T.COMMENT_LIKES, "3.20", 20, 20000,
                   refill=True, description="Username: the owner of the comment."),
        ),
    ),
    _Category(
        "Instagram Mentions",
        fixed=(
            _Fixed("Instagram Mentions [Custom Usernames]", T.MENTIONS, "4.80", 100, 50000),
            _Fixed("Instagram Mentions with Hashtags", T.MENTIONS_WITH_HASHTAGS, "5.60", 100,
                   50000),
            _Fixed("Instagram Mentions [Custom List]", T.MENTIONS_CUSTOM_LIST, "6.00", 10, 10000,
                   cancel=True),
            _Fixed("Instagram Mentions [Hashtag Users]", T.MENTIONS_HASHTAG, "4.20", 100, 100000),
            _Fixed("Instagram Mentions [User Followers]", T.MENTIONS_USER_FOLLOWERS, "4.50", 100,
                   100000),
            _Fixed("Instagram Mentions [Media Likers]", T.MENTIONS_MEDIA_LIKERS, "4.50", 100,
                   100000, description="Media: the post whose likers get mentioned."),
        ),
    ),
    _Category(
        "Instagram Packages",
        fixed=(
            _Fixed("Instagram Likes Package [100 Likes on 5 Posts]", T.PACKAGE, "2.50", 1, 1),
            _Fixed("Instagram Starter Package [500 Followers + 1K Likes] 🔥", T.PACKAGE, "6.90",
                   1, 1, cancel=True),
        ),
    ),
    _Category(
        "Instagram Auto Likes",
        fixed=(
            _Fixed("Instagram Auto Likes [Future Posts] [Max 10K]", T.SUBSCRIPTIONS, "1.20", 50,
                   10000, cancel=True, description="Likes on every new post."),
        ),
    ),
    _Category("TikTok Followers", (_Line("TikTok Followers", 8, "0.90", "7.50"),)),
    _Category("TikTok Likes", (_Line("TikTok Likes", 8, "0.05", "1.80"),)),
    _Category("TikTok Views", (_Line("TikTok Views", 8, "0.0040", "0.20"),)),
    _Category("TikTok Shares", (_Line("TikTok Shares", 3, "0.10", "1.00"),)),
    _Category(
        "TikTok Comments",
        fixed=(
            _Fixed("TikTok Custom Comments [Real Accounts]", T.CUSTOM_COMMENTS, "9.00", 10, 500),
            _Fixed("TikTok Starter Package [1K Views + 100 Likes]", T.PACKAGE, "0.75", 1, 1),
        ),
    ),
    _Category("YouTube Subscribers", (_Line("YouTube Subscribers", 6, "8.00", "35.00"),)),
    _Category("YouTube Views", (_Line("YouTube Views", 10, "0.90", "4.50"),)),
    _Category("YouTube Likes", (_Line("YouTube Likes", 5, "0.60", "5.00"),)),
    _Category("YouTube Watch Time", (_Line("YouTube Watch Time [Hours]", 3, "6.00", "25.00"),)),
    _Category(
        "YouTube Comments",
        (_Line("YouTube Random Comments", 2, "6.00", "20.00"),),
        (
            _Fixed("YouTube Custom Comments [Max 5K]", T.CUSTOM_COMMENTS, "18.00", 5, 5000,
                   refill=True, cancel=True),
            _Fixed("YouTube Comment Replies [Custom]", T.COMMENT_REPLIES, "24.00", 5, 500),
            _Fixed("YouTube Comment Likes [Max 10K]", T.COMMENT_LIKES, "2.75", 10, 10000),
        ),
    ),
    _Category(
        "Telegram Members",
        (
            _Line("Telegram Channel Members", 5, "0.50", "4.00"),
            _Line("Telegram Group Members", 3, "0.70", "4.50"),
        ),
        (
            _Fixed("Telegram Invites from Groups [Real Users]", T.INVITES_FROM_GROUPS, "5.50",
                   100, 20000, refill=True, description="Groups: one link per line."),
        ),
    ),
    _Category(
        "Telegram Post Views",
        (
            _Line("Telegram Post Views", 6, "0.0050", "0.15"),
            _Line("Telegram Views [Last 5 Posts]", 2, "0.02", "0.50"),
        ),
    ),
    _Category("Telegram Reactions", (_Line("Telegram Reactions", 5, "0.05", "0.60"),)),
    _Category(
        "Telegram Poll Votes",
        fixed=(
            _Fixed("Telegram Poll Votes [Public Channels]", T.POLL, "0.90", 50, 50000,
                   cancel=True),
            _Fixed("Telegram Poll Votes [Fast] [Max 10K]", T.POLL, "1.40", 10, 10000),
        ),
    ),
    _Category(
        "Telegram Auto Views",
        fixed=(
            _Fixed("Telegram Auto Post Views [Future Posts]", T.SUBSCRIPTIONS, "0.05", 100,
                   100000),
            _Fixed("Telegram Channel Boost Package [1K Members + Views]", T.PACKAGE, "9.50", 1,
                   1),
        ),
    ),
    _Category("Twitter Followers", (_Line("Twitter Followers", 6, "2.00", "12.00"),)),
    _Category(
        "X Likes",
        (_Line("X Likes", 3, "0.50", "4.00"), _Line("X (Twitter) Likes", 2, "0.60", "4.00")),
    ),
    _Category("X Views", (_Line("X Views", 4, "0.0100", "0.30"),)),
    _Category("Twitter Retweets", (_Line("Twitter Retweets", 4, "0.80", "5.00"),)),
    _Category("Facebook Page Likes", (_Line("Facebook Page Likes", 5, "1.00", "8.00"),)),
    _Category("Facebook Followers", (_Line("Facebook Followers", 5, "0.90", "6.00"),)),
    _Category("Facebook Post Likes", (_Line("Facebook Post Likes", 4, "0.40", "3.00"),)),
    _Category("Spotify Plays", (_Line("Spotify Plays", 5, "0.30", "2.00"),)),
    _Category("Spotify Followers", (_Line("Spotify Followers", 4, "0.50", "3.00"),)),
    _Category(
        "Website Traffic",
        (_Line("Website Traffic", 5, "0.10", "1.50"),),
        (
            _Fixed("Google Keyword Search Traffic [Worldwide]", T.SEO, "1.80", 100, 100000,
                   description="Keywords: one per line."),
            _Fixed("Google Keyword Traffic [USA]", T.SEO, "2.40", 100, 50000, cancel=True),
            _Fixed("Website Traffic [Geo Targeted]", "Web Traffic Geo", "0.95", 500, 1000000),
        ),
    ),
    _Category(
        "Other Services",
        fixed=(
            _Fixed("Google Maps Reviews [Custom Data]", "Custom Data", "45.00", 5, 500,
                   description="Review texts: one per line."),
        ),
    ),
)

_QUALITY_TAGS = (
    "[HQ]", "[Real]", "[Mixed]", "[Bots]", "[Non Drop]", "[Low Drop]", "[Instant]",
    "[Start 0-1 Hr]", "[Speed 10K/Day]", "[Speed 50K/Day]", "[Cheapest]", "[Worldwide]",
    "[USA]", "[Fast]", "🔥", "⚡",
)
# fmt: on
# (name tag, description line) for the refill guarantee
_REFILLS = (
    ("[Refill 30 Days]", "30 days"),
    ("[Refill 60 Days]", "60 days"),
    ("[Lifetime Refill]", "lifetime"),
    ("[♻️ 30D]", "30 days"),
)
_MINS = (10, 20, 50, 100, 100, 500, 1000)
_MAXES = (1000, 5000, 10000, 50000, 100000, 500000, 1000000)
_FIRST_ID = 101


def build_catalogue(seed: int = 1) -> list[SimService]:
    """The catalogue for this seed: same shape for every seed, details seeded."""
    rng = random.Random(f"catalogue:{seed}")
    # Every refill/cancel/dripfeed combination once, on the first eight Default services.
    combos: list[tuple[bool, bool, bool]] = [
        (r, c, d) for r, c, d in itertools.product((True, False), repeat=3)
    ]
    rng.shuffle(combos)
    services: list[SimService] = []
    ids = _ids(rng)
    names: set[str] = set()
    for category in _CATEGORIES:
        for line in category.lines:
            for _ in range(line.count):
                flags = combos.pop() if combos else _random_flags(rng)
                service = _generated(rng, next(ids), category.name, line, flags)
                services.append(_unique_name(service, names))
        for fixed in category.fixed:
            services.append(_fixed(rng, next(ids), category.name, fixed))
    return services


def _ids(rng: random.Random) -> Iterator[int]:
    # Panels' ids have gaps where services were deleted.
    current = _FIRST_ID
    while True:
        yield current
        current += rng.choice((1, 1, 1, 1, 2, 3, 7))


def _random_flags(rng: random.Random) -> tuple[bool, bool, bool]:
    return rng.random() < 0.45, rng.random() < 0.4, rng.random() < 0.3


def _generated(
    rng: random.Random,
    service_id: int,
    category: str,
    line: _Line,
    flags: tuple[bool, bool, bool],
) -> SimService:
    refill, cancel, dripfeed = flags
    minimum = rng.choice(_MINS)
    maximum = rng.choice([m for m in _MAXES if m >= minimum * 10])
    rate = _rate(rng, Decimal(line.low), Decimal(line.high))
    tags = rng.sample(_QUALITY_TAGS, rng.randint(1, 2))
    if rng.random() < 0.6:
        tags.insert(0, f"[Max {_short(maximum)}]")
    refill_tag, refill_text = rng.choice(_REFILLS) if refill else ("", "")
    if refill:
        tags.append(refill_tag)
    elif rng.random() < 0.4:
        tags.append("[No Refill]")
    description = _description(rng, refill_text) if rng.random() < 0.5 else ""
    return SimService(
        service_id=service_id,
        name=f"{line.product} {' '.join(tags)}",
        type=ServiceType.DEFAULT.value,
        category=category,
        rate=rate,
        min=minimum,
        max=maximum,
        refill=refill,
        cancel=cancel,
        dripfeed=dripfeed,
        description=description,
        description_key=rng.choice(("desc", "description")),
        omit_false_flags=rng.random() < 0.3,
        average_time=_average_time(service_id),
        average_time_key="avg_time" if service_id % 8 == 0 else "average_time",
    )


def _average_time(service_id: int) -> str | int | None:
    """A quarter of the generated services say how long they usually take, as some
    panels do, in words or (every eighth, under "avg_time") in minutes; from the id
    alone, so the seed's draws (and so the rest of the catalogue) stay as they were."""
    if service_id % 4:
        return None
    hours, minutes = service_id % 5 + 1, service_id * 7 % 4 * 15
    if service_id % 8 == 0:
        return hours * 60 + minutes
    return f"{hours} hours {minutes} minutes" if minutes else f"{hours} hours"


def _fixed(rng: random.Random, service_id: int, category: str, fixed: _Fixed) -> SimService:
    return SimService(
        service_id=service_id,
        name=fixed.name,
        type=str(fixed.type),
        category=category,
        rate=Decimal(fixed.rate),
        min=fixed.min,
        max=fixed.max,
        refill=fixed.refill,
        cancel=fixed.cancel,
        dripfeed=fixed.dripfeed,
        description=fixed.description,
        description_key=rng.choice(("desc", "description")),
        omit_false_flags=rng.random() < 0.3,
    )


def _unique_name(service: SimService, seen: set[str]) -> SimService:
    name = service.name
    for n in itertools.count(2):
        if name not in seen:
            break
        name = f"{service.name} [Server {n}]"
    seen.add(name)
    return replace(service, name=name)


def _rate(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    value = Decimal(str(rng.uniform(float(low), float(high))))
    # Cheap services carry four places ("0.0125"), the rest two ("0.90", "2.75").
    step = Decimal("0.0001") if value < Decimal("0.1") else Decimal("0.01")
    return max(value.quantize(step), step)


def _short(number: int) -> str:
    if number >= 1_000_000 and number % 1_000_000 == 0:
        return f"{number // 1_000_000}M"
    if number >= 1000 and number % 1000 == 0:
        return f"{number // 1000}K"
    return str(number)


def _description(rng: random.Random, refill: str) -> str:
    start = rng.choice(("0-1 hours", "0-6 hours", "Instant", "0-24 hours"))
    speed = rng.choice(("1K", "5K", "10K", "50K", "100K"))
    lines = [
        f"Start: {start}",
        f"Speed: {speed}/day",
        f"Refill: {refill}" if refill else "No refill",
        "Link: the public profile or post link",
    ]
    return "\n".join(lines)
