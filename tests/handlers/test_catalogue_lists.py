"""Lists that read on a phone, search that finds, platforms from the catalogue itself:
through the real dispatcher."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bot.provider.models import ServiceType
from bot.sandbox.provider.catalog import SimService
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("admin", alice="100")

LINK = "https://instagram.com/p/abc123"
PRICE_FIRST = re.compile(r"^\d[\d,.]* USD(/1k| per order) · ")


def _service_buttons(customer: Customer) -> list[str]:
    return [text for text, data in customer.buttons() if data.startswith("s:c:")]


async def _all_pages(customer: Customer) -> list[str]:
    """Every service label of a paged list, following » to the last page."""
    labels = _service_buttons(customer)
    while any(text == "»" for text, _ in customer.buttons()):
        await customer.click("»")
        labels += _service_buttons(customer)
    return labels


def _found(text: str) -> int:
    match = re.search(r"Found (\d+)|найден\w* (\d+)", text)
    assert match, text
    return int(match.group(1) or match.group(2))


def _visible(app: ShopApp, words: tuple[str, ...]) -> list[SimService]:
    return [
        s
        for s in app.sim.services
        if ServiceType.parse(s.type) is not None
        and any(w in f"{s.name} {s.category}".lower() for w in words)
    ]


async def test_service_buttons_put_the_price_first_and_cut_at_a_word(
    app: ShopApp, alice: Customer
) -> None:
    app.sim.change_service(
        app.sim.find_service(ServiceType.DEFAULT, category="Instagram Followers").service_id,
        name="Instagram Followers [Max 1K] [Low Drop] [♻️ 30 days] [Instant Start] HQ",
    )
    await app.sync_catalog()
    await alice.press("m:n")
    await alice.click("Instagram")
    await alice.click("Instagram Followers")
    labels = await _all_pages(alice)
    assert len(labels) == 10
    for label in labels:
        assert PRICE_FIRST.match(label), label
        name = PRICE_FIRST.sub("", label)
        assert len(name) <= 30 and not name.startswith("Instagram Followers"), label
    [long] = [label for label in labels if "[Max 1K] [Low Drop]" in label]
    assert long.endswith("[Max 1K] [Low Drop]…")
    # The card has the full name.
    await alice.click("[Max 1K] [Low Drop]")
    assert "Instagram Followers [Max 1K] [Low Drop] [♻️ 30 days] [Instant Start] HQ" in (
        alice.last_text
    )


async def test_order_list_buttons_end_in_an_ellipsis(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    app.sim.change_service(service.service_id, name="Followers " + "Very Long Name " * 5)
    await app.sync_catalog()
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    await alice.click("Confirm")
    await alice.send("/orders")
    [label] = [text for text, data in alice.buttons() if "#" in text]
    assert label.endswith("…") and len(label) <= 40 and "Very Long" in label


async def test_search_pages_with_the_true_count(app: ShopApp, alice: Customer) -> None:
    expected = _visible(app, ("follower",))
    assert len(expected) > 8  # more than one page
    await alice.send("followers")
    assert _found(alice.last_text) == len(expected)
    assert "Page 1 of" in alice.last_text
    labels = await _all_pages(alice)
    assert len(labels) == len(expected)
    assert all(PRICE_FIRST.match(label) for label in labels)
    joined = " ".join(labels)
    for platform in ("Instagram", "TikTok", "Twitter", "Facebook", "Spotify"):
        assert platform in joined, platform
    # « goes back; the first page is as it was.
    await alice.click("«")
    assert f"Page {-(-len(expected) // 8) - 1} of" in alice.last_text


async def test_plurals_and_a_typo_find_the_same(app: ShopApp, alice: Customer) -> None:
    counts = []
    for query in ("followers", "follower", "folowers", "Followers!"):
        await alice.send(query)
        counts.append(_found(alice.last_text))
    assert len(set(counts)) == 1 and counts[0] > 0
    await alice.send("tiktok likes")
    tiktok = [s for s in _visible(app, ("like",)) if s.category.startswith("TikTok")]
    assert _found(alice.last_text) == len(tiktok)  # a TikTok package with likes too


async def test_more_matched_words_come_first(app: ShopApp, alice: Customer) -> None:
    await alice.send("instagram likes package")
    labels = await _all_pages(alice)
    # Only one service has all three words; those with two of them follow.
    assert "Likes Package" in labels[0]
    assert len(labels) > 1


async def test_russian_words_find_the_panels(app: ShopApp) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/start")
    await boris.send("/help")
    assert "подписчики" in boris.last_text and "followers" not in boris.last_text
    await boris.send("подписчики")
    labels = " ".join(await _all_pages(boris))
    for platform in ("Instagram", "TikTok", "Twitter", "YouTube Subscribers"):
        assert platform in labels, platform
    await boris.send("лайков тикток")
    first = _found(boris.last_text)
    await boris.send("лайки тикток")
    assert _found(boris.last_text) == first > 0
    assert all("TikTok" in label for label in _service_buttons(boris))
    await boris.send("просмотры")
    assert _found(boris.last_text) == len(_visible(app, ("view",)))


async def test_tampered_and_old_search_pages(app: ShopApp, alice: Customer) -> None:
    await alice.send("followers")
    first = alice.last
    _, next_page = alice.find_button("»")
    key = next_page.split(":")[1]
    await alice.press(f"q:{key}:99999")  # past the end: the last page
    assert "Page" in alice.last_text and not alice.alerts()
    for data in ("q:deadbeef:1", f"q:{key}:100001", f"q:{key}:-1", f"q:{key}:x", "q:"):
        await alice.press(data, first)
    assert len(alice.alerts()) == 5
    # A newer search makes the older one's buttons out of date.
    await alice.send("likes")
    await alice.press(next_page, first)
    assert "out of date" in alice.alerts()[-1]


def _sim(service_id: int, name: str, category: str) -> SimService:
    return SimService(service_id, name, "Default", category, Decimal("1.25"), 10, 10000)


async def test_platforms_come_from_the_category_names(app: ShopApp, admin: Customer) -> None:
    app.sim.set_catalogue(
        [
            _sim(1, "Kick Followers [Real]", "Kick Followers"),
            _sim(2, "Kick Live Viewers", "Kick - Live Viewers"),
            _sim(3, "Snapchat Story Views", "Snapchat Story Views [Fast]"),
            _sim(4, "Website Traffic [USA]", "Website Traffic"),
            _sim(5, "Website Traffic from Google", "Website Traffic | Organic"),
            _sim(6, "Google Maps Reviews", "Google Reviews"),
            _sim(7, "Instagram Followers", "Instagram Followers"),
            _sim(8, "Cheap Followers", "Followers [Cheap]"),
            _sim(9, "Twitch Followers", "Twitch Followers"),
        ]
    )
    app.clock.advance(seconds=1)  # the old catalogue is not listed after this moment
    await app.sync_catalog()
    await admin.press("m:n")
    platforms = [text for text, data in admin.buttons() if data.startswith("c:c:")]
    assert platforms == [
        "Instagram",
        "Twitch",
        "Google Reviews",
        "Kick",
        "Snapchat",
        "Website Traffic",
        "Other",
    ]
    await admin.click("Kick")
    assert [t for t, d in admin.buttons() if d.startswith("c:s:")] == [
        "Kick - Live Viewers (1)",
        "Kick Followers (1)",
    ]

    # Rename, merge, undo: customers see the result at once, search too.
    await admin.send("/platform rename kick Streaming")
    assert "«kick» is shown as «Streaming» now" in admin.last_text
    await admin.send("/platform rename twitch streaming")
    assert "merged into «Streaming»" in admin.last_text
    await admin.send("/platform rename Website Traffic Web")
    assert "«Website Traffic» is shown as «Web» now" in admin.last_text
    await admin.send("/platform list")
    text = admin.last_text
    assert "<b>Streaming</b> — 3 categories · 3 services (renamed from Kick, Twitch)" in text
    assert "<b>Web</b> — 2 categories · 2 services (renamed from Website Traffic)" in text
    assert "Kick → Streaming" in text and "/platform list | rename" in text
    await admin.press("m:n")
    platforms = [text for text, data in admin.buttons() if data.startswith("c:c:")]
    assert platforms == ["Instagram", "Google Reviews", "Snapchat", "Streaming", "Web", "Other"]
    await admin.click("Streaming")
    assert len([t for t, d in admin.buttons() if d.startswith("c:s:")]) == 3
    await admin.send("streaming")
    assert _found(admin.last_text) == 3

    await admin.send("/platform reset streaming")
    assert "Kick, Twitch" in admin.last_text
    await admin.send("/platform rename Web Website Traffic")  # onto its own name: undone
    await admin.press("m:n")
    platforms = [text for text, data in admin.buttons() if data.startswith("c:c:")]
    assert "Kick" in platforms and "Website Traffic" in platforms and "Web" not in platforms
    await admin.send("/platform list")
    assert "Renames" not in admin.last_text


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/platform", "Usage: <code>/platform list | rename"),
        ("/platform list extra", "Usage:"),
        ("/platform rename", "Usage:"),
        ("/platform rename Instagram", "Usage:"),
        ("/platform rename Instagram " + "x" * 40, "Usage:"),
        ("/platform rename Myspace Space", "There is no platform «Myspace»"),
        ("/platform reset", "Usage:"),
        ("/platform reset Instagram", "There is no platform «Instagram»"),
        ("/platform delete Instagram", "Usage:"),
    ],
)
async def test_bad_platform_commands_change_nothing(
    app: ShopApp, admin: Customer, alice: Customer, command: str, answer: str
) -> None:
    await alice.press("m:n")
    before = alice.buttons()
    await admin.send(command)
    assert answer in admin.last_text
    await alice.press("m:n")
    assert alice.buttons() == before
    async with app.shop() as shop:
        assert await shop.settings.platform_renames() == {}


async def test_platform_command_is_for_admins_only(app: ShopApp, alice: Customer) -> None:
    await alice.send("/platform rename Instagram Insta")
    async with app.shop() as shop:
        assert await shop.settings.platform_renames() == {}
