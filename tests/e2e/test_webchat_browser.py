"""The web chat in real Chromium (Playwright), with an aiogram Dispatcher polling the
emulator: the customer's story, payments, keyboards and alerts, and XSS attempts."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
)
from pydantic import SecretStr

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import LimitSettings, TelegramEmulator

from .conftest import PollingRunner, QuickCloseSession, make_bot

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALICE = 1001


def _skip_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}"
    return None


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


def storefront_router() -> Router:
    router = Router(name="storefront")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "<b>Welcome to Sandbox SMM Shop!</b>\n"
            "Followers, likes and views from trusted panels, paid from your wallet.\n\n"
            "Balance: <code>0.00 USD</code>",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text="Browse catalogue", callback_data="cat")],
                    [
                        InlineKeyboardButton(text="My orders", callback_data="orders"),
                        InlineKeyboardButton(text="Support", url="https://example.com/help"),
                    ],
                ]
            ),
        )

    @router.callback_query(F.data == "cat")
    async def catalogue(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text(
            "<b>Catalogue</b>\n"
            "Instagram · Followers: <i>1.30 USD per 1000</i>\n"
            "TikTok · Views: <i>0.05 USD per 1000</i>\n"
            "Telegram · Members: <i>2.10 USD per 1000</i>",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Instagram", callback_data="c:ig"),
                        InlineKeyboardButton(text="TikTok", callback_data="c:tt"),
                    ],
                    [InlineKeyboardButton(text="« Back", callback_data="back")],
                ]
            ),
        )
        await query.answer("Catalogue loaded")

    @router.message(Command("topup"))
    async def topup(message: Message) -> None:
        await message.answer_invoice(
            title="Wallet top-up",
            description="Adds 1.30 USD to your shop balance",
            payload="topup:100",
            currency="XTR",
            prices=[LabeledPrice(label="Top-up", amount=100)],
        )

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        await message.answer("Payment received: <b>+1.30 USD</b>. Balance: <code>1.30 USD</code>")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        await message.answer(
            "Quick menu below.",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text="Balance"), KeyboardButton(text="Help")]],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )

    @router.message(F.text == "Balance")
    async def balance(message: Message) -> None:
        await message.answer(
            "Balance: <code>0.00 USD</code>",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Why zero?", callback_data="why")]]
            ),
        )

    @router.callback_query(F.data == "why")
    async def why(query: CallbackQuery) -> None:
        await query.answer("You have not topped up yet.", show_alert=True)

    return router


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emu = TelegramEmulator(limits=LimitSettings().without_rate_limits())
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def shop_bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    assert emulator.base_url
    bot = make_bot(emulator.base_url, emulator.token)
    yield bot
    await bot.session.close()


@pytest.fixture
async def running_shop(
    emulator: TelegramEmulator, shop_bot: Bot, tg_polling: PollingRunner
) -> TelegramEmulator:
    await shop_bot.set_my_commands(
        [
            BotCommand(command="start", description="Open the shop"),
            BotCommand(command="topup", description="Top up with Telegram Stars"),
            BotCommand(command="menu", description="Quick menu"),
        ]
    )
    dispatcher = Dispatcher()
    dispatcher.include_router(storefront_router())
    await tg_polling(dispatcher, shop_bot)
    return emulator


class BrowserPage:
    """A Chromium page that records script errors, dialogs and any request off this host."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.external: list[str] = []


@pytest.fixture
async def browser_page(emulator: TelegramEmulator) -> AsyncIterator[BrowserPage]:
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=15_000)  # generous on slow CI machines; waits end on events
    assert emulator.base_url
    host = urlsplit(emulator.base_url).netloc
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        page = await context.new_page()
        wrapper = BrowserPage(page, emulator.base_url)

        async def guard(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).netloc != host and not url.startswith(("data:", "blob:")):
                wrapper.external.append(url)
                await route.abort()
            else:
                await route.continue_()

        async def on_dialog(dialog: Any) -> None:
            wrapper.dialogs.append(dialog.message)
            await dialog.dismiss()

        await context.route("**/*", guard)
        page.on("pageerror", lambda error: wrapper.errors.append(str(error)))
        page.on("dialog", on_dialog)
        try:
            yield wrapper
        finally:
            with contextlib.suppress(Exception):
                await context.close()
            await browser.close()


async def open_as(browser: BrowserPage, name: str) -> Any:
    page = browser.page
    await page.goto(browser.base_url + "/")
    await page.locator(f'.chat-item[data-persona="{name}"]').click()
    await page.locator("#head-title").filter(has_text="Sandbox Shop").wait_for()
    await page.locator("#conn-dot.live").wait_for(state="attached")  # hidden on a phone
    return page


async def test_customer_story_in_the_browser(
    running_shop: TelegramEmulator, browser_page: BrowserPage
) -> None:
    from playwright.async_api import expect

    page = await open_as(browser_page, "Alice")
    await expect(page.locator("#as-chip")).to_have_text("You are Alice")

    await page.locator("#menu-btn").click()
    await expect(page.locator(".command")).to_have_count(3)
    await page.locator("#menu-btn").click()

    await page.locator("#input").fill("/start")
    await page.locator("#input").press("Enter")
    await expect(page.locator(".msg.out .text").first).to_contain_text("/start")
    welcome = page.locator(".msg.in", has_text="Welcome to Sandbox SMM Shop!")
    await expect(welcome).to_be_visible()
    await expect(welcome.locator(".text b")).to_have_text("Welcome to Sandbox SMM Shop!")
    await expect(welcome.locator(".ikb button")).to_have_count(3)

    await welcome.get_by_role("button", name="Browse catalogue").click()
    edited = page.locator(".msg.in", has_text="Instagram · Followers")
    await expect(edited).to_be_visible()
    await expect(edited.locator(".meta")).to_contain_text("edited")
    await expect(page.locator(".msg.in", has_text="Welcome to Sandbox")).to_have_count(0)
    await expect(page.locator(".toast", has_text="Catalogue loaded")).to_be_visible()
    await expect(edited.locator(".ikb button")).to_have_text(["Instagram", "TikTok", "« Back"])
    stored = running_shop.last_bot_message(ALICE)
    assert stored is not None and stored.text and stored.text.startswith("Catalogue")

    await page.locator("#input").fill("/topup")
    await page.locator("#send").click()
    invoice = page.locator(".msg.in", has_text="Wallet top-up")
    await expect(invoice.locator(".invoice .price")).to_have_text("100")
    await invoice.locator(".ikb button.pay").click()
    await expect(page.locator("#modal-title")).to_have_text("Confirm your purchase")
    await page.get_by_role("button", name="Pay 100 Stars").click()
    await expect(page.locator(".service", has_text="You paid 100 Stars")).to_be_visible()
    await expect(page.locator(".msg.in", has_text="Payment received")).to_be_visible()
    await expect(invoice.locator(".paid-badge")).to_have_text("Paid")
    assert [p.total_amount for p in running_shop.payments.values()] == [100]

    ARTIFACTS.mkdir(exist_ok=True)
    await expect(page.locator(".toast")).to_have_count(0, timeout=8000)  # a clean picture
    await page.screenshot(path=str(ARTIFACTS / "webchat.png"))
    assert browser_page.errors == [] and browser_page.dialogs == []
    assert browser_page.external == []


async def test_reply_keyboard_and_alert_in_the_browser(
    running_shop: TelegramEmulator, browser_page: BrowserPage
) -> None:
    from playwright.async_api import expect

    page = await open_as(browser_page, "Alice")
    await page.locator("#input").fill("/menu")
    await page.locator("#input").press("Enter")
    keyboard = page.locator("#reply-kb")
    await expect(keyboard.locator("button")).to_have_text(["Balance", "Help"])
    await keyboard.get_by_role("button", name="Balance").click()
    await expect(keyboard).to_be_hidden()  # one_time_keyboard
    answer = page.locator(".msg.in", has_text="Balance: 0.00 USD")
    await answer.get_by_role("button", name="Why zero?").click()
    await expect(page.locator("#modal-text")).to_have_text("You have not topped up yet.")
    await page.locator("#modal-actions button").click()
    await expect(page.locator("#modal")).to_be_hidden()
    assert [m.text for m in running_shop.chat(ALICE) if not m.from_bot][-1] == "Balance"
    assert browser_page.errors == [] and browser_page.dialogs == []


async def test_injected_markup_renders_as_text_and_no_script_runs(
    emulator: TelegramEmulator, shop_bot: Bot, browser_page: BrowserPage
) -> None:
    from playwright.async_api import expect

    assert emulator.base_url
    plain_bot = make_bot(emulator.base_url, emulator.token, parse_mode=None)
    payload = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> plain'
    try:
        await plain_bot.send_message(ALICE, payload)
        await plain_bot.send_message(
            ALICE,
            "button test",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text='<img src=x onerror="window.__xss = 7">', callback_data="x"
                        )
                    ]
                ]
            ),
        )
    finally:
        await plain_bot.session.close()
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "script"'):
        await shop_bot.send_message(ALICE, "<script>window.__xss = 3</script>")
    await shop_bot.send_message(
        ALICE,
        "&lt;script&gt;window.__xss = 4&lt;/script&gt; "
        '<a href="javascript:window.__xss = 5">js link</a> '
        '<a href="https://example.com/&quot;onmouseover=&quot;window.__xss=6">quoted link</a> '
        '<b onclick="window.__xss = 8">bold</b> '
        '<pre><code class="language-&quot;&gt;&lt;img src=x onerror=window.__xss=9&gt;">'
        "code</code></pre>",
    )

    page = await open_as(browser_page, "Alice")
    raw_text = page.locator(".msg.in", has_text="plain").locator(".text")
    await expect(raw_text).to_contain_text(
        '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> plain'
    )
    html_message = page.locator(".msg.in", has_text="js link")
    await expect(html_message.locator(".text")).to_contain_text("<script>window.__xss = 4</script>")
    await html_message.get_by_text("js link").click()
    await html_message.get_by_text("quoted link").hover()
    await html_message.get_by_text("bold").click()
    await expect(page.locator(".ikb button")).to_have_text('<img src=x onerror="window.__xss = 7">')

    assert await page.locator("#messages script").count() == 0
    assert await page.locator("#messages img").count() == 0
    assert await page.locator('#messages a[href^="javascript"]').count() == 0
    assert await page.locator("#messages [onmouseover], #messages [onclick]").count() == 0
    quoted = html_message.locator("a", has_text="quoted link")
    assert await quoted.get_attribute("href") == 'https://example.com/"onmouseover="window.__xss=6'
    assert await quoted.get_attribute("rel") == "noopener noreferrer nofollow"
    assert await page.evaluate("window.__xss") is None
    assert browser_page.dialogs == []
    assert browser_page.errors == []


@pytest.fixture
async def real_shop(emulator: TelegramEmulator, tmp_path: Path) -> AsyncIterator[Application]:
    """The bot itself, polling the emulator, with the simulated panel's catalogue."""
    clock = FakeClock()
    sim = ProviderSimulator(key="browser-key", clock=clock, balance=Decimal("1000"))
    provider_url = await sim.start()
    assert emulator.base_url
    settings = Config(
        bot_token=SecretStr(emulator.token),
        telegram_api_url=emulator.base_url,
        provider_url=provider_url,
        provider_key=SecretStr("browser-key"),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/browser.db",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(emulator.base_url)),
        clock=clock,
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
        jobs=False,
    )
    await app.startup()
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        yield app
    finally:
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await app.close()
        await sim.stop()


# Where the price of a service button is, next to where the button and the screen end.
_PRICE_BOX = """(button) => {
  const label = button.querySelector('.label') || button;
  const node = label.firstChild;
  const range = document.createRange();
  range.setStart(node, 0);
  range.setEnd(node, node.textContent.indexOf(' · '));
  const price = range.getBoundingClientRect();
  const box = label.getBoundingClientRect();
  return {price: [price.left, price.right], box: [box.left, box.right],
          screen: window.innerWidth};
}"""


async def test_service_prices_show_on_a_phone(
    real_shop: Application, browser_page: BrowserPage
) -> None:
    from playwright.async_api import expect

    page = browser_page.page
    await page.set_viewport_size({"width": 390, "height": 844})
    page = await open_as(browser_page, "Alice")
    await page.locator("#input").fill("/start")
    await page.locator("#input").press("Enter")
    menu = page.locator(".msg.in", has_text="Hi, Alice")
    await menu.get_by_role("button", name="New order").click()
    platforms = page.locator(".msg.in", has_text="Choose a platform")
    await platforms.get_by_role("button", name="Instagram", exact=True).click()
    categories = page.locator(".msg.in", has_text="choose a category")
    await categories.get_by_role("button", name="Instagram Followers").click()
    services = page.locator(".msg.in", has_text="choose a service")
    buttons = services.locator(".ikb button", has_text=re.compile(r"^\d[\d.,]* USD/1k · "))
    await expect(buttons).to_have_count(8)
    for index in range(8):
        box = await buttons.nth(index).evaluate(_PRICE_BOX)
        (left, right), (box_left, box_right) = box["price"], box["box"]
        assert box_left - 0.5 <= left < right <= box_right + 0.5, box  # the price is not cut
        assert box_right <= box["screen"], box  # and the button is on the screen
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-phone.png"))
    assert browser_page.errors == [] and browser_page.external == []
