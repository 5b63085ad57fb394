"""The customer's words for the panel's: panels name their services in English, so
"подписчики" must find Followers. Each language has a small table; a key of four letters
or more matches any word it begins ("лайков", "просмотры"), a shorter one only itself."""

from __future__ import annotations

from collections.abc import Mapping

Table = Mapping[str, tuple[str, ...]]

# fmt: off
SYNONYMS: Mapping[str, Table] = {
    "ru": {
        # what is sold
        "подписчик": ("followers", "subscribers"), "подписк": ("followers", "subscribers"),
        "фолловер": ("followers",), "фоловер": ("followers",),
        "лайк": ("likes",), "просмотр": ("views",), "коммент": ("comments",),
        "участник": ("members",), "репост": ("shares", "reposts", "retweets"),
        "реакц": ("reactions",), "зрител": ("viewers",), "прослушив": ("plays",),
        "сохранен": ("saves",), "голос": ("votes",), "упоминан": ("mentions",),
        "трафик": ("traffic",), "отзыв": ("reviews",), "пакет": ("package",),
        "часы": ("watch", "hours"), "ретвит": ("retweets",), "сторис": ("story",),
        "истори": ("story",), "рилс": ("reels",),
        # platforms
        "инстаграм": ("instagram",), "инста": ("instagram",), "инст": ("instagram",),
        "тикток": ("tiktok",), "тик": ("tiktok",), "ютуб": ("youtube",),
        "ютьюб": ("youtube",), "телеграм": ("telegram",), "телег": ("telegram",),
        "тг": ("telegram",), "твиттер": ("twitter",), "твитер": ("twitter",),
        "фейсбук": ("facebook",), "спотифай": ("spotify",), "твич": ("twitch",),
        "дискорд": ("discord",), "вк": ("vk",), "вконтакт": ("vk",), "сайт": ("website",),
        "гугл": ("google",),
    },
    "en": {
        "subs": ("subscribers",), "fans": ("followers",), "follows": ("followers",),
        "ig": ("instagram",), "insta": ("instagram",), "yt": ("youtube",),
        "tg": ("telegram",), "fb": ("facebook",), "tweets": ("twitter",),
        "retweet": ("retweets",), "repost": ("reposts", "shares"),
    },
}
# fmt: on
PREFIX_MIN = 4


def synonyms(word: str, locale: str) -> list[str]:
    """The panel's words for a customer's (case-folded) word: the customer's language
    first, then the other tables (a word of another language harms nothing)."""
    tables = [SYNONYMS[locale]] if locale in SYNONYMS else []
    tables += [table for code, table in SYNONYMS.items() if code != locale]
    found: list[str] = []
    for table in tables:
        for key, words in table.items():
            if word == key or (len(key) >= PREFIX_MIN and word.startswith(key)):
                found += [w for w in words if w not in found]
    return found
