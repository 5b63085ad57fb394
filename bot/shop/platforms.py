"""Platforms derived from the panel's category names, for the first level of the catalogue,
and the admin's renames of them.

A category names its platform: the well-known ones by their usual spellings ("IG", "Tik
Tok", "X (Twitter)"), any other by its own leading words ("Kick Followers [Real]" is on
Kick, "Website Traffic - USA" on Website Traffic). Only a category that names nothing
("Followers [Cheap]", "Other Services") is under "Other".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Order matters: the first pattern that matches a category wins.
PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Instagram", re.compile(r"\b(instagram|insta|ig)\b", re.I)),
    ("TikTok", re.compile(r"\btik\s?tok\b", re.I)),
    ("YouTube", re.compile(r"\b(youtube|yt)\b", re.I)),
    ("Telegram", re.compile(r"\b(telegram|tg)\b", re.I)),
    ("X/Twitter", re.compile(r"\b(twitter|tweets?|x\.com)\b|^\s*x\b|\bx\s*[-:|(\[]", re.I)),
    ("Facebook", re.compile(r"\b(facebook|fb)\b", re.I)),
    ("Spotify", re.compile(r"\bspotify\b", re.I)),
    ("Twitch", re.compile(r"\btwitch\b", re.I)),
    ("Discord", re.compile(r"\bdiscord\b", re.I)),
    ("Threads", re.compile(r"\bthreads\b", re.I)),
    ("LinkedIn", re.compile(r"\blinked\s?in\b", re.I)),
    ("SoundCloud", re.compile(r"\bsound\s?cloud\b", re.I)),
    ("Pinterest", re.compile(r"\bpinterest\b", re.I)),
    ("Reddit", re.compile(r"\breddit\b", re.I)),
    ("VK", re.compile(r"\b(vk|vkontakte)\b", re.I)),
)
OTHER = "Other"

# A platform's name ends where the category's details begin: at a separator...
_SEPARATOR = re.compile(r"\s[-–—|/»>]\s|[\[(:|{]|\s[-–—]|[-–—]\s")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ...or at the first word that says what is sold,
_SERVICE_WORDS = _word_set(
    """
    followers follower likes like views view subscribers subscriber subs members member
    comments comment shares share reposts repost retweets retweet reactions reaction
    votes vote upvotes upvote plays play streams stream listeners listener saves save
    viewers viewer mentions mention impressions reach clicks click visits visitors
    installs downloads watch live story stories post posts reels reel video videos
    channel group page fans fan auto package packages services service
    """
)
# ...or how (a word of quality, skipped before the name: "Premium Quora Upvotes").
_QUALITY_WORDS = _word_set(
    "real hq premium cheap cheapest fast instant targeted bots mixed non no high quality "
    "best top new special"
)
# Words that name no platform by themselves: "Other Services", "Misc", "New - Cheap".
_GENERIC = _word_set("other others misc miscellaneous various general extra all test")
MAX_WORDS = 3
MAX_LENGTH = 32  # a platform is a short button label


def platform_of(category: str) -> str:
    """The platform of a category: a well-known one, else its leading words, else Other."""
    for name, pattern in PLATFORMS:
        if pattern.search(category):
            return name
    return derived_platform(category)


def derived_platform(category: str) -> str:
    """The leading words of a category before a separator or a service word, in the
    panel's spelling (a word in lower case gets a capital): "kick followers" -> "Kick",
    "Google Reviews | Local" -> "Google Reviews"; Other when no such word is left."""
    head = _SEPARATOR.split(category, maxsplit=1)[0]
    words: list[str] = []
    for raw in head.split():
        word = raw.strip(".,;!?*\"'«»#+")
        if not any(ch.isalpha() for ch in word):
            if words:
                break  # an emoji or a number after the name ends it
            continue  # a decoration before it ("🔥 Kick") is skipped
        key = word.casefold()
        if key in _SERVICE_WORDS or (words and key in _QUALITY_WORDS):
            break
        if not words and (key in _GENERIC or key in _QUALITY_WORDS):
            continue
        words.append(word.capitalize() if word.islower() else word)
        if len(words) == MAX_WORDS:
            break
    name = " ".join(words)[:MAX_LENGTH].strip()
    if not name or name.casefold() == OTHER.casefold():
        return OTHER
    return name


def platform_order(name: str) -> int:
    """Sort key: the well-known platforms in their usual order, then the others, Other
    last (ties sort by name)."""
    for index, (platform, _) in enumerate(PLATFORMS):
        if platform == name:
            return index
    return len(PLATFORMS) + (name == OTHER)


# --- the admin's renames --------------------------------------------------------------

Renames = Mapping[str, str]
"""A platform as derived from the categories -> the name customers see instead."""


def shown(platform: str, renames: Renames) -> str:
    return renames.get(platform, platform)


def clean_name(text: str) -> str | None:
    """An admin's new platform name: spaces collapsed, printable, 1..MAX_LENGTH characters;
    None when it is not usable."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_LENGTH or not name.isprintable():
        return None
    return name


def sources(name: str, derived: Iterable[str], renames: Renames) -> list[str]:
    """The derived platforms that `name` (any case) stands for: those shown as it, or
    called so themselves."""
    key = name.casefold()
    return sorted(
        {d for d in derived if shown(d, renames).casefold() == key or d.casefold() == key}
    )


def renamed(
    renames: Renames, derived: Iterable[str], source: str, target: str
) -> dict[str, str] | None:
    """The renames after showing the platform `source` (any case) as `target`: onto a
    platform shown already the two merge (its spelling kept); a derived platform renamed
    to its own name (any case) is shown as itself again. None when `source` is no
    platform."""
    derived = set(derived) | set(renames)
    moved = sources(source, derived, renames)
    if not moved:
        return None
    existing = {shown(d, renames).casefold(): shown(d, renames) for d in derived}
    existing.update({d.casefold(): d for d in derived if d not in renames})
    target = existing.get(target.casefold(), target)
    result = dict(renames)
    for platform in moved:
        if platform.casefold() == target.casefold():
            result.pop(platform, None)
        else:
            result[platform] = target
    return result


def split_rename(text: str, names: Iterable[str]) -> tuple[str, str] | None:
    """`<from> <to>` of a rename, where either may have spaces: `from` is the longest run
    of leading words that names a platform ("Website Traffic Web" -> "Website Traffic",
    "Web"), else the first word; None without two parts."""
    words = text.split()
    if len(words) < 2:
        return None
    known = {name.casefold() for name in names}
    for cut in range(len(words) - 1, 0, -1):
        source = " ".join(words[:cut])
        if source.casefold() in known:
            return source, " ".join(words[cut:])
    return words[0], " ".join(words[1:])


def reset(renames: Renames, name: str) -> dict[str, str] | None:
    """The renames without those from or to `name` (any case); None when there are none."""
    key = name.casefold()
    kept = {
        src: dst for src, dst in renames.items() if src.casefold() != key and dst.casefold() != key
    }
    return kept if len(kept) < len(renames) else None
