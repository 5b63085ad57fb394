"""Telegram's HTML parse mode, automatic entities, and safe rendering for the web chat.

``parse_html`` follows Telegram's parser (tdlib's ``parse_html``): only the supported tags,
balanced, with the same error texts. It returns plain text plus entities whose offsets and
lengths are in UTF-16 code units, as the Bot API reports them.

``render_html`` goes the other way for the web chat: it builds HTML from text and entities,
escaping every character of the text, so the only markup in the result is the fixed set of
tags emitted here. A bot's message can never inject markup or script into the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "mailto"})
SAFE_HREF_SCHEMES = frozenset({"http", "https", "tg"})


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``kind`` names the problem for counters."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML entity at ``source[i] == '&'``; return (char, consumed) or None."""
    end = source.find(";", i + 1, i + 12)
    if end < 0:
        return None
    body = source[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end - i + 1
    code: int | None = None
    if re.fullmatch(r"#[0-9]{1,7}", body):
        code = int(body[1:])
    elif re.fullmatch(r"#[xX][0-9a-fA-F]{1,6}", body):
        code = int(body[2:], 16)
    if code is None or code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end - i + 1


def decode_entities(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)):
            out.append(decoded[0])
            i += decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def normalize_url(url: str) -> str | None:
    """The URL Telegram would keep for a link, or None if it would drop it."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):", url)
    if match:
        return url if match.group(1).lower() in LINK_SCHEMES else None
    if re.match(r"^[\w\-]+(\.[\w\-]+)+([/?#:].*)?$", url):
        return "http://" + url
    return None


@dataclass
class _Open:
    tag: str
    offset: int
    attrs: dict[str, str]
    byte_offset: int
    language: str | None = None
    children: list[str] = field(default_factory=list)


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (text, entities). ``strict=False`` never raises: unsupported
    tags stay literal text, stray end tags are dropped and open tags are closed at the end."""
    out: list[str] = []
    length16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal length16
        out.append(chunk)
        length16 += utf16_len(chunk)

    def fail(message: str, kind: str) -> HtmlParseError:
        return HtmlParseError(f"can't parse entities: {message}", kind)

    def close(opened: _Open) -> None:
        parent = stack[-1] if stack else None
        entity = _entity_for(opened, length16, parent)
        if entity is not None:
            entities.append(entity)

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i)
            if decoded:
                emit(decoded[0])
                i += decoded[1]
            else:
                emit("&")
                i += 1
            continue
        if c != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            emit(source[i:j])
            i = j
            continue

        begin = i
        offset = _byte_offset(source, begin)
        if i + 1 < n and source[i + 1] == "/":
            j = i + 2
            while j < n and source[j] != ">" and not source[j].isspace():
                j += 1
            name = source[i + 2 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                if strict:
                    raise fail(f"Unclosed end tag at byte offset {offset}", "html_unbalanced")
                emit(source[i:j])
                i = j
                continue
            j += 1
            if not stack:
                if strict:
                    raise fail(f"Unexpected end tag at byte offset {offset}", "html_unbalanced")
                if name not in SUPPORTED_TAGS:
                    emit(source[i:j])
                i = j
                continue
            if name != stack[-1].tag:
                if strict:
                    raise fail(
                        f"Unmatched end tag at byte offset {offset}, "
                        f'expected "</{stack[-1].tag}>", found "</{name}>"',
                        "html_unbalanced",
                    )
                if any(o.tag == name for o in stack):
                    while stack[-1].tag != name:
                        close(stack.pop())
                else:
                    if name not in SUPPORTED_TAGS:
                        emit(source[i:j])
                    i = j
                    continue
            close(stack.pop())
            i = j
            continue

        j = i + 1
        while j < n and source[j] != ">" and not source[j].isspace():
            j += 1
        name = source[i + 1 : j].lower()
        if name not in SUPPORTED_TAGS:
            if strict:
                raise fail(
                    f'Unsupported start tag "{name}" at byte offset {offset}',
                    "html_unsupported_tag",
                )
            emit("<")
            i += 1
            continue
        attrs: dict[str, str] = {}
        closed = False
        while j < n:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                break
            if source[j] == ">":
                j += 1
                closed = True
                break
            k = j
            while k < n and not source[k].isspace() and source[k] not in "=>":
                k += 1
            attr = source[j:k].lower()
            if not attr:
                if strict:
                    raise fail(
                        f'Empty attribute name in the tag "{name}" at byte offset {offset}',
                        "html_invalid",
                    )
                k += 1
                j = k
                continue
            while k < n and source[k].isspace():
                k += 1
            if k >= n or source[k] != "=":
                attrs[attr] = ""
                j = k
                continue
            k += 1
            while k < n and source[k].isspace():
                k += 1
            if k >= n:
                break
            if source[k] in "\"'":
                end = source.find(source[k], k + 1)
                if end < 0:
                    break
                raw = source[k + 1 : end]
                j = end + 1
            else:
                end = k
                while end < n and not source[end].isspace() and source[end] != ">":
                    end += 1
                raw = source[k:end]
                j = end
            attrs[attr] = decode_entities(raw)
        if not closed:
            if strict:
                raise fail(f"Unclosed start tag at byte offset {offset}", "html_unbalanced")
            emit(source[begin:])
            break
        if name == "span" and attrs.get("class") != "tg-spoiler":
            if strict:
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}',
                    "html_invalid",
                )
            attrs["class"] = "tg-spoiler"
        if name == "tg-emoji" and not attrs.get("emoji-id") and strict:
            raise fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}',
                "html_invalid",
            )
        stack.append(_Open(name, length16, attrs, offset))
        i = j

    if stack:
        if strict:
            raise fail(
                f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"',
                "html_unbalanced",
            )
        while stack:
            close(stack.pop())

    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity_for(opened: _Open, end16: int, parent: _Open | None) -> dict[str, Any] | None:
    length = end16 - opened.offset
    tag = opened.tag
    if tag == "code" and parent is not None and parent.tag == "pre":
        language = opened.attrs.get("class", "")
        if language.startswith("language-") and len(language) > 9:
            parent.language = language[9:]
        return None
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": opened.offset, "length": length}
    if tag in _SIMPLE_TYPES:
        entity["type"] = _SIMPLE_TYPES[tag]
    elif tag == "code":
        entity["type"] = "code"
    elif tag == "pre":
        entity["type"] = "pre"
        if opened.language:
            entity["language"] = opened.language
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in opened.attrs else "blockquote"
    elif tag == "tg-emoji":
        if not opened.attrs.get("emoji-id"):
            return None
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    elif tag == "a":
        url = normalize_url(opened.attrs.get("href", ""))
        if url is None:
            return None
        entity["type"] = "text_link"
        entity["url"] = url
    else:  # pragma: no cover - SUPPORTED_TAGS and this function agree
        return None
    return entity


# ---------------------------------------------------------------- automatic entities

_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"(?<![\w@/])(?:https?://|tg://|www\.)[^\s<>\"']+", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+\-@])[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?(?![\w/<>])"),
    ),
]
_EXCLUSIVE = frozenset(
    {
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "url",
        "email",
        "mention",
        "hashtag",
        "bot_command",
    }
)


def auto_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the entities Telegram detects by itself (links, mentions, commands, ...)."""
    if not text:
        return list(existing)
    prefix = _utf16_prefix(text)
    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e.get("type") in _EXCLUSIVE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
            s16, e16 = prefix[start], prefix[end]
            if e16 <= s16 or any(s16 < b and a < e16 for a, b in taken):
                continue
            taken.append((s16, e16))
            found.append({"type": kind, "offset": s16, "length": e16 - s16})
    result = list(existing) + found
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


def _utf16_prefix(text: str) -> list[int]:
    """prefix[k] = UTF-16 length of text[:k]."""
    prefix = [0] * (len(text) + 1)
    total = 0
    for k, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        prefix[k + 1] = total
    return prefix


def command_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client attaches to a user's text (commands, links, mentions)."""
    return auto_entities(text, [])


# ---------------------------------------------------------------- rendering for the web chat


def safe_href(url: str | None) -> str | None:
    """``url`` if it is safe to put in an <a href> (http, https or tg), else None."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SAFE_HREF_SCHEMES:
        return None
    if scheme in ("http", "https") and not parts.netloc:
        return None
    return url


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _open_tag(entity: dict[str, Any], text: str) -> tuple[str, str]:
    kind = entity.get("type")
    simple = {
        "bold": "b",
        "italic": "i",
        "underline": "u",
        "strikethrough": "s",
        "code": "code",
    }
    if kind in simple:
        tag = simple[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "spoiler":
        return '<span class="tg-spoiler">', "</span>"
    if kind == "pre":
        language = entity.get("language")
        if isinstance(language, str) and language:
            return f'<pre class="tg-pre" data-language="{_esc(language)}">', "</pre>"
        return '<pre class="tg-pre">', "</pre>"
    if kind == "blockquote":
        return '<blockquote class="tg-quote">', "</blockquote>"
    if kind == "expandable_blockquote":
        return '<blockquote class="tg-quote tg-expandable">', "</blockquote>"
    if kind in ("text_link", "url"):
        url = entity.get("url") if kind == "text_link" else text
        if kind == "url" and isinstance(url, str) and url.lower().startswith("www."):
            url = "http://" + url
        href = safe_href(url if isinstance(url, str) else None)
        if href is None:
            return '<span class="tg-link-blocked">', "</span>"
        return (
            f'<a href="{_esc(href)}" target="_blank" rel="noopener noreferrer nofollow">',
            "</a>",
        )
    if kind == "bot_command":
        return '<span class="tg-command">', "</span>"
    if kind == "custom_emoji":
        return '<span class="tg-emoji">', "</span>"
    if kind in ("mention", "hashtag", "cashtag", "email", "phone_number", "text_mention"):
        return '<span class="tg-entity">', "</span>"
    return "<span>", "</span>"


_BLOCK_CLOSERS = frozenset({"</pre>", "</blockquote>"})


def render_html(text: str | None, entities: list[dict[str, Any]] | None) -> str:
    """Safe HTML for a message: escaped text wrapped in the tags of its entities."""
    if not text:
        return ""
    prefix = _utf16_prefix(text)
    to_index = {u16: k for k, u16 in enumerate(prefix)}

    def index_at(u16: int) -> int:
        while u16 not in to_index and u16 < prefix[-1]:
            u16 += 1
        return to_index.get(u16, len(text))

    spans: list[tuple[int, int, int, dict[str, Any]]] = []
    for order, entity in enumerate(entities or []):
        if not isinstance(entity, dict):
            continue
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            continue
        start, end = index_at(max(offset, 0)), index_at(offset + length)
        if end > start:
            spans.append((start, end, order, entity))
    spans.sort(key=lambda s: (s[0], -s[1], s[2]))

    starts: dict[int, list[tuple[int, int, int, dict[str, Any]]]] = {}
    bounds = {0, len(text)}
    for span in spans:
        starts.setdefault(span[0], []).append(span)
        bounds.update((span[0], span[1]))
    points = sorted(bounds)

    out: list[str] = []
    stack: list[tuple[tuple[int, int, int, dict[str, Any]], str]] = []
    for n, point in enumerate(points):
        ending = [k for k, (span, _) in enumerate(stack) if span[1] <= point]
        after_block = False
        if ending:
            first = ending[0]
            popped = stack[first:]
            for _, closer in reversed(popped):
                out.append(closer)
                after_block = after_block or closer in _BLOCK_CLOSERS
            del stack[first:]
            for span, _ in popped:
                if span[1] > point:
                    opener, closer = _open_tag(span[3], text[span[0] : span[1]])
                    out.append(opener)
                    stack.append((span, closer))
        for span in starts.get(point, []):
            opener, closer = _open_tag(span[3], text[span[0] : span[1]])
            out.append(opener)
            stack.append((span, closer))
        if n + 1 < len(points):
            chunk = text[point : points[n + 1]]
            if after_block and not starts.get(point) and chunk.startswith("\n"):
                chunk = chunk[1:]  # a block already ends the line, as in Telegram's apps
            out.append(html.escape(chunk, quote=False))
    for _, closer in reversed(stack):
        out.append(closer)
    return "".join(out)
