"""What the demo shop holds before anyone types: the personas with demo credit, a
customer Alice invited, promo codes to try, and one open support ticket of Boris's for the
Operators group to answer. Every step is idempotent: a restarted demo adds nothing twice
(the web chat starts empty after a restart, so unclosed tickets get their thread message
in the Operators group again)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from aiogram.exceptions import TelegramAPIError

from bot.app import Application
from bot.clock import FakeClock
from bot.i18n import in_language
from bot.sandbox.telegram import Persona, TelegramEmulator
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.promos import (
    PromoAlreadyRedeemed,
    PromoExists,
    PromoService,
    PromoSpec,
    PromoUnavailable,
)
from bot.shop.referrals import start_parameter
from bot.shop.services import Shop
from bot.shop.support.values import TicketFilter
from bot.support_buttons import thread_markup
from bot.texts.tickets import thread

log = logging.getLogger(__name__)

DEMO_CREDIT = "25"  # in the shop currency, once per demo customer
ALICE = 1001
BORIS = 1002
ADMIN = 1000
BORIS_ASKS = "Здравствуйте! Когда начнётся мой заказ?"
# Registered through Alice's referral link, so Alice's /referral shows one invited.
CAROL = Persona(1003, "Carol", "carol", "en")


@dataclass(frozen=True, slots=True)
class DemoPromo:
    code: str
    amount: str  # in the shop currency
    uses: int
    days: int | None  # valid this long from creation; None: no end
    age_days: int = 0  # created this long ago (an expired code: age_days > days)


PROMOS = (
    DemoPromo("WELCOME10", "10", 1000, None),
    DemoPromo("LAUNCH", "5", 1, None),  # its one use is Carol's: "used up" for everyone else
    DemoPromo("SPRING", "3", 100, 30, age_days=40),  # expired ten days ago
)
USED_UP_BY_CAROL = "LAUNCH"


async def seed_demo(app: Application, emulator: TelegramEmulator) -> None:
    """Register the personas (Carol through Alice's link), credit each once, create the
    promo codes and spend LAUNCH's one use."""
    if CAROL.user_id not in {p.user_id for p in emulator.personas}:
        emulator.add_persona(CAROL)
    personas = sorted(emulator.personas, key=lambda p: p.user_id == CAROL.user_id)
    ids: dict[int, int] = {}
    for persona in personas:  # Carol last: Alice must exist to have invited her
        invited_by = start_parameter(ids[ALICE]) if persona.user_id == CAROL.user_id else None
        ids[persona.user_id] = await _register(app, persona, invited_by)
    admin_id = ids.get(ADMIN, ids[ALICE])
    for promo in PROMOS:
        await _create_promo(app, promo, actor_id=admin_id)
    async with app.deps.session_factory() as session:
        with contextlib.suppress(PromoAlreadyRedeemed, PromoUnavailable):  # spent before
            await Shop(session, app.deps).promos.redeem(ids[CAROL.user_id], USED_UP_BY_CAROL)
    if BORIS in ids:
        await _seed_ticket(app, ids[BORIS], actor_id=ADMIN)


async def _seed_ticket(app: Application, boris: int, *, actor_id: int) -> None:
    """Boris's question, once; then every unclosed ticket's thread message is posted in the
    Operators group (again, after a restart), where replying to it answers the customer."""
    async with app.deps.session_factory() as session:
        support = Shop(session, app.deps).support
        if not await support.listing(TicketFilter.ALL, actor_id=actor_id):
            await support.open(boris, order_id=None, text=BORIS_ASKS, photo=None)
        unclosed = await support.listing(TicketFilter.OPEN, actor_id=actor_id)
    chat_id = app.deps.settings.operator_chat_id
    if chat_id is None:
        return
    for listed in reversed(unclosed):  # the oldest first
        async with app.deps.session_factory() as session:
            support = Shop(session, app.deps).support
            view = await support.thread(listed.ticket.id)
            with in_language(app.deps.i18n, None):
                text = thread(view, app.deps.settings.shop_currency)
                markup = thread_markup(view)
            try:
                sent = await app.bot.send_message(chat_id, text, reply_markup=markup)
            except TelegramAPIError as exc:
                log.warning("demo: ticket #%s not posted: %s", view.ticket.id, exc)
                continue
            await support.place_thread(view.ticket.id, chat_id=chat_id, message_id=sent.message_id)


async def _register(app: Application, persona: Persona, start_param: str | None) -> int:
    async with app.deps.session_factory() as session, session.begin():
        shop = Shop(session, app.deps)
        user, _ = await shop.users.enter(
            persona.user_id,
            username=persona.username,
            first_name=persona.first_name,
            language=app.deps.i18n.pick(persona.language_code),
            start_param=start_param,
        )
        # The reference makes this a one-off: restarting the demo adds nothing.
        await shop.wallet.credit(
            user.id,
            to_micro(DEMO_CREDIT),
            LedgerKind.PROMO,
            f"demo:welcome:{persona.user_id}",
            note="demo credit",
        )
        return user.id


async def _create_promo(app: Application, promo: DemoPromo, *, actor_id: int) -> None:
    # An expired code is created by a clock set back to when it was new.
    created = FakeClock(app.deps.clock.now() - timedelta(days=promo.age_days))
    spec = PromoSpec(promo.code, to_micro(promo.amount), promo.uses, promo.days)
    async with app.deps.session_factory() as session:
        with contextlib.suppress(PromoExists):  # created by an earlier start
            await PromoService.from_session(session, created).create(spec, actor_id=actor_id)
