"""Texts of the balance, top-ups in Stars, /paysupport, /starsrefund, /referral and /promo.

Pure functions of data, translated with gettext, HTML-safe (every value that comes from a
person is escaped). Invoice titles, descriptions and pre-checkout refusals are plain text
(Telegram shows them without parse mode) and are cut to Telegram's lengths."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.enums import PaymentPurpose, PaymentState
from bot.shop.errors import (
    InvalidAmount,
    NotFound,
    ShopError,
)
from bot.shop.money import Micro, format_amount
from bot.shop.payments.errors import (
    CreditSpent,
    NoShortfall,
    NotRefundable,
    TopUpOutOfRange,
    TopUpsUnavailable,
)
from bot.shop.payments.values import (
    Completion,
    Party,
    PaymentDTO,
    RefundOutcome,
    RefundSeen,
    Refusal,
    StarsQuote,
    StarsRefund,
    TopUpMenu,
)
from bot.shop.promos import (
    MAX_DAYS,
    MAX_USES,
    InvalidPromoCode,
    InvalidPromoNumber,
    PromoAlreadyRedeemed,
    PromoDTO,
    PromoExists,
    PromoStatus,
    PromoUnavailable,
    Redemption,
)
from bot.shop.referrals import ReferralStats
from bot.shop.users import UserDTO
from bot.texts.format import (
    ErrorTable,
    Markup,
    code,
    day_time,
    decimal_text,
    error_text,
    fmt,
    money,
    when,
)
from bot.texts.mentions import customer
from handlers.admin import texts as admin_texts
from handlers.common import error_texts
from handlers.common.texts import ledger_kind


def balance_text(user: UserDTO, currency: str, entries: list[Any]) -> str:
    lines: list[str] = [
        fmt(_("💰 Balance: <b>{balance}</b>"), balance=money(user.balance, currency))
    ]
    if entries:
        lines += ["", _("<b>Latest movements</b>")]
        for entry in entries:
            sign = "+" if entry.amount > 0 else "−"
            lines.append(
                fmt(
                    "{at} {sign}{amount} · {kind}",
                    at=day_time(entry.created_at),
                    sign=sign,
                    amount=money(abs(entry.amount), currency),
                    kind=ledger_kind(entry.kind),
                )
            )
    return "\n".join(lines)


TITLE_LIMIT = 32


DESCRIPTION_LIMIT = 255


PRECHECKOUT_LIMIT = 200


def stars(count: int) -> str:
    return f"⭐{count}"


def stars_words(count: int) -> str:
    """A count of Stars in words, with the language's plural form: "1 Star", "1 звезда"."""
    return ngettext("{n} Star", "{n} Stars", count).format(n=count)


def _rate(rate: Decimal, currency: str) -> str:
    return f"{decimal_text(f'{rate.normalize():f}')} {currency}"


def _who(user: UserDTO | Party | None, telegram_id: int | None = None) -> Markup:
    if isinstance(user, UserDTO):
        return customer(user)
    if isinstance(user, Party):
        return customer(None, user.telegram_id)
    return customer(None, telegram_id)


def topup_unavailable() -> str:
    return _(
        "Top-ups are not available right now. Please come back later — your balance "
        "and orders are safe."
    )


def topup_menu(menu: TopUpMenu, balance: Micro) -> str:
    return fmt(
        _(
            "➕ <b>Top up your balance</b>\n"
            "You pay with Telegram Stars ⭐: {one_star} = {rate}. The exact amount credited "
            "is shown on each button and on the invoice.\n\n"
            "💰 Balance: <b>{balance}</b>\n"
            "Choose an amount, or enter your own:"
        ),
        one_star=stars_words(1),
        rate=_rate(menu.rate, menu.currency),
        balance=money(balance, menu.currency),
    )


def preset_label(quote: StarsQuote, currency: str) -> str:
    return f"{money(quote.credit, currency)} · {stars(quote.stars)}"


def custom_label() -> str:
    return _("✏️ Other amount")


def custom_prompt(menu: TopUpMenu) -> str:
    return fmt(
        _(
            "Send the amount in {currency} you want on your balance, for example <code>{example}"
            "</code>.\nFrom {min} to {max}. It is converted to whole Stars, rounded up; the "
            "invoice shows the exact credit."
        ),
        currency=menu.currency,
        example=format_amount(
            menu.presets[0].credit if menu.presets else menu.min.credit, menu.currency
        ),
        min=money(menu.min.credit, menu.currency),
        max=money(menu.max.credit, menu.currency),
    )


def invoice_title() -> str:
    return _("Balance top-up")[:TITLE_LIMIT]


def invoice_label() -> str:
    return _("Top-up")


def invoice_description(payment: PaymentDTO, currency: str, service: str | None = None) -> str:
    credit = money(payment.credit, currency)
    if payment.purpose is PaymentPurpose.SHORTFALL and service:
        text = _("{credit} will be added to your balance — what your order lacks: {service}")
        text = text.format(credit=credit, service=service[:100])
    else:
        text = _("{credit} will be added to your balance in the shop.").format(credit=credit)
    return text[:DESCRIPTION_LIMIT]


def no_shortfall() -> str:
    return _("Your balance covers this order now. Tap ✅ Confirm to place it.")


TOPUP_ERRORS: ErrorTable = {
    **error_texts.CUSTOMER_ERRORS,
    TopUpsUnavailable: lambda e, c: topup_unavailable(),
    TopUpOutOfRange: lambda e, c: fmt(
        _("A top-up can be from {min} to {max}."), min=money(e.min, c), max=money(e.max, c)
    ),
    InvalidAmount: lambda e, c: _("Please send an amount as a number, for example 12.50."),
    NoShortfall: lambda e, c: no_shortfall(),
}
"""The customer's words for errors, as a top-up puts them."""


def payment_error(error: ShopError, currency: str) -> str:
    return error_text(TOPUP_ERRORS, error, currency)


def refusal(reason: Refusal) -> str:
    """Telegram shows this in the payment form (plain text)."""
    messages = {
        Refusal.UNAVAILABLE: _("Top-ups are paused right now. Nothing was charged."),
        Refusal.UNKNOWN: _("This invoice is not valid. Please create a new one with /topup."),
        Refusal.PAID: _("This invoice has already been paid. Create a new one with /topup."),
        Refusal.EXPIRED: _("This invoice has expired. Please create a new one with /topup."),
        Refusal.AMOUNT: _("The amount does not match the invoice. Nothing was charged."),
    }
    return messages[reason][:PRECHECKOUT_LIMIT]


def precheckout_failed() -> str:
    return _("We could not check this payment right now. Nothing was charged; try again.")[
        :PRECHECKOUT_LIMIT
    ]


def paid_thanks(payment: PaymentDTO, balance: Micro, currency: str) -> str:
    return fmt(
        _(
            "✅ Thank you! {stars} received, <b>{credit}</b> added to your balance.\n"
            "💰 Balance: <b>{balance}</b>"
        ),
        stars=stars(payment.stars),
        credit=money(payment.credit, currency),
        balance=money(balance, currency),
    )


def paid_resume(payment: PaymentDTO, balance: Micro, currency: str) -> str:
    return (
        paid_thanks(payment, balance, currency)
        + "\n\n"
        + _("Your order is waiting — check it and tap ✅ Confirm to place it:")
    )


def paid_unmatched(charge_id: str) -> str:
    return fmt(
        _(
            "We received a payment we could not match to an invoice, so nothing was added to "
            "your balance yet. Please send /paysupport and quote this reference:\n"
            "<code>{charge}</code>"
        ),
        charge=charge_id,
    )


def referral_reward(amount: Micro, balance: Micro, currency: str) -> str:
    return fmt(
        _(
            "🎉 Someone you invited topped up their balance: <b>{amount}</b> is your reward.\n"
            "💰 Balance: <b>{balance}</b>"
        ),
        amount=money(amount, currency),
        balance=money(balance, currency),
    )


def op_topup(payer: UserDTO, done: Completion, currency: str) -> str:
    payment = done.payment
    assert payment is not None
    lines: list[str] = [
        fmt(
            _("⭐ Top-up: {who} paid {stars} → {credit} (payment #{id})."),
            who=_who(payer),
            stars=stars(payment.stars),
            credit=money(payment.credit, currency),
            id=payment.id,
        ),
        fmt(_("Charge id: <code>{charge}</code>"), charge=payment.charge_id or ""),
    ]
    if done.referral is not None:
        lines.append(
            fmt(
                _("Referral reward {amount} to {who}."),
                amount=money(done.referral.amount, currency),
                who=_who(done.referral.referrer),
            )
        )
    if done.second_charge:
        lines.append(
            _(
                "⚠️ This invoice had been paid before: the customer paid it twice. Both were "
                "credited; /starsrefund can return one."
            )
        )
    return "\n".join(lines)


def op_unmatched(
    payer: UserDTO,
    reason: Refusal | None,
    stars_paid: int,
    currency: str,
    charge_id: str,
    payload: str,
) -> str:
    why = {
        Refusal.UNKNOWN: _("the payload is not an invoice of this customer"),
        Refusal.AMOUNT: _("the amount or currency differs from the invoice"),
    }.get(reason or Refusal.UNKNOWN, _("it does not match"))
    return fmt(
        _(
            "⚠️ Payment not credited: {who} paid {stars} in {currency}, but {why}.\n"
            "Payload: <code>{payload}</code>\nCharge id: <code>{charge}</code>"
        ),
        who=_who(payer),
        stars=stars_paid,
        currency=currency,
        why=why,
        payload=payload[:64],
        charge=charge_id[:255],
    )


def paysupport(contact: str | None, recent: list[PaymentDTO], currency: str) -> str:
    lines = [
        _("💬 <b>Help with a payment</b>"),
        _(
            "Top-ups are paid in Telegram Stars and credited to your balance as soon as "
            "Telegram confirms the payment. If Stars were taken but your balance did not "
            "grow, or you want an unspent top-up back, tell us — quote the charge id of the "
            "payment below."
        ),
        "",
    ]
    if contact:
        lines.append(fmt(_("Write to {contact}."), contact=contact))
    lines.append(
        _(
            "Or send <code>/paysupport</code> followed by what happened, in one message: it "
            "goes to the shop's operators with your payments."
        )
    )
    if recent:
        lines += ["", _("<b>Your latest payments</b>")]
        for payment in recent:
            lines.append(
                fmt(
                    "{at} · {stars} → {credit} · {state}\n{charge}",
                    at=day_time(payment.paid_at),
                    stars=stars(payment.stars),
                    credit=money(payment.credit, currency),
                    state=payment_state(payment.state),
                    charge=code(payment.charge_id or ""),
                )
            )
    return "\n".join(lines)


def payment_state(state: PaymentState) -> str:
    names = {
        PaymentState.ISSUED: _("not paid"),
        PaymentState.PAID: _("credited"),
        PaymentState.REFUNDING: _("being refunded"),
        PaymentState.REFUNDED: _("refunded"),
    }
    return names[state]


def paysupport_sent() -> str:
    return _("Thank you — your message went to the shop's operators. We will get back to you.")


def op_paysupport(user: UserDTO, text: str, recent: list[PaymentDTO], currency: str) -> str:
    lines = [
        fmt(_("💬 /paysupport from {who}:"), who=_who(user)),
        fmt("<blockquote>{text}</blockquote>", text=text),
    ]
    for payment in recent:
        lines.append(
            fmt(
                "#{id} {at} · {stars} → {credit} · {state} · {charge}",
                id=payment.id,
                at=when(payment.paid_at),
                stars=stars(payment.stars),
                credit=money(payment.credit, currency),
                state=payment.state.value,
                charge=code(payment.charge_id or ""),
            )
        )
    return "\n".join(lines)


def starsrefund_usage() -> str:
    return _(
        "Usage: <code>/starsrefund &lt;telegram_payment_charge_id&gt;</code>\n"
        "Returns the Stars of a top-up whose credit is still unspent and takes the credit "
        "from the customer's balance in the same step."
    )


def _not_refundable(error: NotRefundable, currency: str) -> str:
    if error.state == PaymentState.REFUNDED:
        return _("This payment has already been refunded.")
    return fmt(_("This payment cannot be refunded (it is {state})."), state=error.state)


STARSREFUND_ERRORS: ErrorTable = {
    **admin_texts.ADMIN_ERRORS,
    NotFound: lambda e, c: _("No payment with this charge id."),
    NotRefundable: _not_refundable,
    CreditSpent: lambda e, c: fmt(
        _(
            "Not refunded: the credit is spent. The payment credited {needed}, the "
            "customer's balance is {available}. Nothing was changed."
        ),
        needed=money(e.needed, c),
        available=money(e.available, c),
    ),
}
"""The admin's words for errors, as /starsrefund puts them."""


def starsrefund_error(error: ShopError, currency: str) -> str:
    return error_text(STARSREFUND_ERRORS, error, currency)


def starsrefund_result(result: StarsRefund, currency: str) -> str:
    payment = result.payment
    head = fmt(
        _("Payment #{id} ({stars}, customer {who}):"),
        id=payment.id,
        stars=stars(payment.stars),
        who=_who(result.payer),
    )
    match result.outcome:
        case RefundOutcome.REFUNDED:
            body: str = fmt(
                _("✅ Stars refunded. {debited} taken from the balance (now {balance})."),
                debited=money(result.debited, currency),
                balance=money(result.balance, currency),
            )
            if result.clawback:
                body += "\n" + fmt(
                    _("{amount} of the referral reward was taken back."),
                    amount=money(result.clawback, currency),
                )
        case RefundOutcome.REVERSED:
            body = fmt(
                _(
                    "❌ Telegram refused the refund: {reason}\nThe wallet debit was reversed; "
                    "nothing changed for the customer."
                ),
                reason=result.telegram_text or "—",
            )
        case _:
            body = fmt(
                _(
                    "⏳ Telegram did not answer ({reason}). The balance is debited and the payment "
                    "is marked as being refunded; send the same command again to retry."
                ),
                reason=result.telegram_text or "—",
            )
    return f"{head}\n{body}"


def refunded_notice(payment: PaymentDTO, debited: Micro, balance: Micro, currency: str) -> str:
    return fmt(
        _(
            "↩️ Your payment of {stars} was refunded. {debited} was taken from your balance.\n"
            "💰 Balance: <b>{balance}</b>"
        ),
        stars=stars(payment.stars),
        debited=money(debited, currency),
        balance=money(balance, currency),
    )


def op_refund_outside(seen: RefundSeen, currency: str) -> str:
    payment = seen.payment
    assert payment is not None
    head = fmt(
        _(
            "↩️ Telegram reports a refund made outside the bot: payment #{id}, {stars}, "
            "customer {who}."
        ),
        id=payment.id,
        stars=stars(payment.stars),
        who=_who(seen.payer),
    )
    if seen.debited:
        return (
            head
            + "\n"
            + fmt(
                _("{amount} was taken from the customer's balance."),
                amount=money(seen.debited, currency),
            )
        )
    return (
        head
        + "\n"
        + fmt(
            _(
                "⚠️ The credit ({credit}) is already spent (balance {balance}): the balance was not "
                "changed. Decide with /debit."
            ),
            credit=money(payment.credit, currency),
            balance=money(seen.balance, currency),
        )
    )


def referral(stats: ReferralStats, link: str, currency: str) -> str:
    invited = fmt(
        ngettext("You invited {count} person.", "You invited {count} people.", stats.invited),
        count=stats.invited,
    )
    return fmt(
        _(
            "🤝 <b>Invite friends</b>\n"
            "Share your link. When someone starts the bot with it, you get {percent} of every "
            "top-up they make, on your balance.\n\n"
            "🔗 {link}\n\n"
            "{invited}\n"
            "🎁 Rewards earned: <b>{earned}</b>"
        ),
        percent=f"{stats.percent.normalize():f}%",
        link=link,
        invited=invited,
        earned=money(stats.earned, currency),
    )


def share_label() -> str:
    return _("📤 Share the link")


def share_text() -> str:
    return _("Followers, views and likes for your social networks — try this bot:")


def promo_usage(is_admin: bool) -> str:
    text = _("🎁 Have a promo code? Send <code>/promo CODE</code>.")
    if is_admin:
        text += "\n\n" + _(
            "Admins:\n"
            "<code>/promo create CODE amount uses [days]</code> — a new code\n"
            "<code>/promo list</code> — all codes\n"
            "<code>/promo off CODE</code> — switch a code off"
        )
    return text


def promo_redeemed(result: Redemption, currency: str) -> str:
    return fmt(
        _(
            "🎁 Promo code <b>{code}</b> applied: <b>{amount}</b> added.\n"
            "💰 Balance: <b>{balance}</b>"
        ),
        code=result.code,
        amount=money(result.amount, currency),
        balance=money(result.balance, currency),
    )


def _promo_unavailable(error: PromoUnavailable, currency: str) -> str:
    match error.status:
        case PromoStatus.EXPIRED:
            return _("This promo code has expired.")
        case PromoStatus.USED_UP:
            return _("This promo code has been used up.")
    return _("This promo code is no longer active.")


PROMO_ERRORS: ErrorTable = {
    **error_texts.CUSTOMER_ERRORS,
    InvalidPromoCode: lambda e, c: _(
        "There is no such promo code. Check the spelling and try again."
    ),
    NotFound: lambda e, c: _("There is no such promo code. Check the spelling and try again."),
    PromoAlreadyRedeemed: lambda e, c: _("You have already used this promo code."),
    PromoUnavailable: _promo_unavailable,
}
"""The customer's words for errors, as /promo puts them."""


def _promo_number(error: InvalidPromoNumber, currency: str) -> str:
    match error.field:
        case "uses":
            return fmt(_("Uses must be a whole number from 1 to {max}."), max=MAX_USES)
        case "days":
            return fmt(_("Days must be a whole number from 1 to {max}."), max=MAX_DAYS)
    return _("Usage: <code>/promo create CODE amount uses [days]</code>")


PROMO_ADMIN_ERRORS: ErrorTable = {
    **admin_texts.ADMIN_ERRORS,
    InvalidPromoCode: lambda e, c: fmt(
        _(
            "“{code}” cannot be a code: use 3 to 32 letters, digits, “-” or “_” (not "
            "create, list, off)."
        ),
        code=e.code,
    ),
    PromoExists: lambda e, c: fmt(
        _("The code {code} exists already. Codes are never reused."), code=e.code
    ),
    NotFound: lambda e, c: _("There is no such promo code."),
    InvalidPromoNumber: _promo_number,
    InvalidAmount: lambda e, c: _("The amount must be a positive number, for example 2.50."),
}
"""The admin's words for errors, as /promo create and /promo off put them."""


def promo_error(error: ShopError, currency: str) -> str:
    return error_text(PROMO_ERRORS, error, currency)


def promo_admin_error(error: ShopError, currency: str) -> str:
    return error_text(PROMO_ADMIN_ERRORS, error, currency)


def promo_status(status: PromoStatus) -> str:
    names = {
        PromoStatus.ACTIVE: _("active"),
        PromoStatus.OFF: _("off"),
        PromoStatus.EXPIRED: _("expired"),
        PromoStatus.USED_UP: _("used up"),
    }
    return names[status]


def promo_line(promo: PromoDTO, status: PromoStatus, currency: str) -> str:
    until = fmt(_(", until {date}"), date=when(promo.expires_at)) if promo.expires_at else ""
    return fmt(
        _("<code>{code}</code> · {amount} · used {used} of {total} · {status}{until}"),
        code=promo.code,
        amount=money(promo.amount, currency),
        used=promo.used,
        total=promo.uses_total,
        status=promo_status(status),
        until=until,
    )


def promo_created(promo: PromoDTO, status: PromoStatus, currency: str) -> str:
    return _("✅ Promo code created:") + "\n" + promo_line(promo, status, currency)


def promo_disabled(promo: PromoDTO, status: PromoStatus, currency: str) -> str:
    return _("Promo code switched off:") + "\n" + promo_line(promo, status, currency)


def promo_list(lines: list[str]) -> str:
    if not lines:
        return _("No promo codes yet. <code>/promo create CODE amount uses [days]</code>")
    return _("🎁 <b>Promo codes</b> (newest first)") + "\n" + "\n".join(lines)
