"""Platforms derived from the panel's category names, for the first level of the catalogue."""

from __future__ import annotations

import re

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


def platform_of(category: str) -> str:
    for name, pattern in PLATFORMS:
        if pattern.search(category):
            return name
    return OTHER


def platform_order(name: str) -> int:
    """Sort key: the well-known platforms in their usual order, Other last."""
    for index, (platform, _) in enumerate(PLATFORMS):
        if platform == name:
            return index
    return len(PLATFORMS)
