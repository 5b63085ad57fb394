"""The order form asks each type only for its fields and reads every answer strictly."""

from datetime import date

import pytest

from bot.provider.models import ServiceType
from bot.provider.requests import REQUEST_TYPES
from bot.shop.errors import InvalidOrderField, NotAWholeNumber, QuantityOutOfRange
from bot.shop.order_form import (
    STEPS,
    FormService,
    Step,
    next_step,
    read_answer,
    read_expiry,
    read_link,
)
from bot.shop.platforms import platform_of


def svc(
    kind: ServiceType = ServiceType.DEFAULT, *, dripfeed: bool = False, platform: str = "Instagram"
) -> FormService:
    return FormService(type=kind, min=50, max=10000, dripfeed=dripfeed, platform=platform)


SAMPLE = {
    Step.LINK: "https://instagram.com/p/abc",
    Step.QUANTITY: "100",
    Step.COMMENTS: "a\nb\n" * 30,
    Step.USERNAMES: "\n".join(f"user{i}" for i in range(60)),
    Step.KEYWORDS: "seo\nsmm",
    Step.GROUPS: "https://t.me/g1\nhttps://t.me/g2",
    Step.HASHTAGS: "#a\n#b",
    Step.HASHTAG: "#sun",
    Step.USERNAME: "@bob",
    Step.MEDIA: "https://instagram.com/p/zz",
    Step.ANSWER_NUMBER: "2",
    Step.MIN: "100",
    Step.MAX: "200",
    Step.POSTS: "10",
    Step.OLD_POSTS: "0",
    Step.DELAY: "30",
    Step.EXPIRY: "31/12/2099",
}


@pytest.mark.parametrize("kind", list(ServiceType))
def test_every_type_fills_a_valid_request(kind: ServiceType) -> None:
    service = svc(kind)
    answers: dict[str, object] = {}
    while (step := next_step(service, answers)) is not None:
        answers[step.value] = read_answer(service, step, SAMPLE[step], answers)
    values = {k: v for k, v in answers.items() if v is not None}
    if "expiry" in values:
        values["expiry"] = date.fromisoformat(values["expiry"])
    request = REQUEST_TYPES[kind]("77", **values)
    assert isinstance(request, REQUEST_TYPES[kind])
    form = request.form()
    assert form["service"] == "77"
    assert set(answers) == {s.value for s in STEPS[kind]}


def test_dripfeed_asks_runs_then_interval_unless_skipped() -> None:
    service = svc(dripfeed=True)
    answers: dict[str, object] = {"link": "https://x.com/a", "quantity": 100}
    assert next_step(service, answers) is Step.RUNS
    assert next_step(service, {**answers, "runs": None}) is None
    assert next_step(service, {**answers, "runs": 5}) is Step.INTERVAL


@pytest.mark.parametrize("text", ["abc", "1.5", "-3", "", "10e3"])
def test_quantity_not_a_whole_number(text: str) -> None:
    with pytest.raises(InvalidOrderField):
        read_answer(svc(), Step.QUANTITY, text, {})


@pytest.mark.parametrize("text", ["49", "10001"])
def test_quantity_out_of_range(text: str) -> None:
    with pytest.raises(QuantityOutOfRange) as info:
        read_answer(svc(), Step.QUANTITY, text, {})
    assert (info.value.min, info.value.max) == (50, 10000)


def test_quantity_with_separators() -> None:
    assert read_answer(svc(), Step.QUANTITY, "1 000", {}) == 1000


@pytest.mark.parametrize(("step", "low", "high"), [(Step.QUANTITY, 50, 10000), (Step.RUNS, 2, 100)])
def test_not_a_number_names_the_range_of_its_step(step: Step, low: int, high: int) -> None:
    with pytest.raises(NotAWholeNumber) as info:
        read_answer(svc(), step, "many", {})
    assert (info.value.field, info.value.min, info.value.max) == (step.value, low, high)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("instagram.com/p/x", "https://instagram.com/p/x"),
        ("www.tiktok.com/@user/video/1", "https://www.tiktok.com/@user/video/1"),
        ("youtube.com/watch?v=abc", "https://youtube.com/watch?v=abc"),
        ("https://instagram.com/p/x", "https://instagram.com/p/x"),
        ("http://instagram.com/p/x", "http://instagram.com/p/x"),
    ],
)
def test_links_without_a_scheme_are_made_https(text: str, link: str) -> None:
    assert read_answer(svc(), Step.LINK, text, {}) == link


@pytest.mark.parametrize(
    "text",
    [
        "ftp://x.com/a",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "example.com:8080/x",
        "hello",
        ".com/x",
        "https://",
        "http://nohost",
        "https://a b.com",
        "x" * 600,
    ],
)
def test_bad_links(text: str) -> None:
    with pytest.raises(InvalidOrderField):
        read_link(text, "Instagram")


def test_telegram_handles_become_links() -> None:
    assert read_link("@durov_channel", "Telegram") == "https://t.me/durov_channel"
    assert read_link("t.me/somechan", "Telegram") == "https://t.me/somechan"
    with pytest.raises(InvalidOrderField):
        read_link("@durov_channel", "Instagram")


def test_comment_lines_define_quantity_and_range() -> None:
    service = svc(ServiceType.CUSTOM_COMMENTS)
    with pytest.raises(QuantityOutOfRange):
        read_answer(service, Step.COMMENTS, "only one", {})
    with pytest.raises(InvalidOrderField):
        read_answer(service, Step.COMMENTS, "\n \n", {})
    with pytest.raises(InvalidOrderField):
        read_answer(service, Step.COMMENTS, "x" * 400 + "\n" + "y\n" * 60, {})


def test_subscription_rules() -> None:
    service = svc(ServiceType.SUBSCRIPTIONS)
    with pytest.raises(QuantityOutOfRange):
        read_answer(service, Step.MAX, "80", {"min": 100})
    with pytest.raises(InvalidOrderField):
        read_answer(service, Step.DELAY, "7", {})
    with pytest.raises(InvalidOrderField):
        read_expiry("01/01/2020", today=date(2026, 1, 1))
    assert read_expiry("2026-02-01", today=date(2026, 1, 1)) == "2026-02-01"


def test_usernames_checked() -> None:
    with pytest.raises(InvalidOrderField):
        read_answer(svc(ServiceType.MENTIONS), Step.USERNAMES, "ok_name\nbad name!", {})


@pytest.mark.parametrize(
    ("category", "platform"),
    [
        ("Instagram Followers [Refill]", "Instagram"),
        ("TikTok Views", "TikTok"),
        ("Youtube Likes", "YouTube"),
        ("Telegram Channel Members", "Telegram"),
        ("Twitter Followers", "X/Twitter"),
        ("X - Likes", "X/Twitter"),
        ("Facebook Page Likes", "Facebook"),
        ("Spotify Plays", "Spotify"),
        ("Website Traffic", "Website Traffic"),
        ("Xiaomi fans", "Xiaomi"),
    ],
)
def test_platform_from_category(category: str, platform: str) -> None:
    assert platform_of(category) == platform
