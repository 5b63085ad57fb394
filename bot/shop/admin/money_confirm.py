"""/credit and /debit ask first: the command stores what it would do, Confirm does it once.

A proposal is a settings row `confirm:<token>` (who asked, whom, how much, the reason).
Its end is a second row, `confirm:<token>:end`, claimed by the first Confirm ("done") or
Cancel ("cancelled"): whatever comes after that (a double tap, a webhook retry, a stale
button) finds the claim and changes nothing. The ledger row's unique reference is
`confirm:<token>`, so even a claim that somehow raced would credit once.

Only the admin who asked can confirm or cancel (the buttons are in their private chat; a
tap by anyone else, e.g. tampered data, is refused), and a proposal older than `TTL` has
expired: the balance it showed may be far from the truth by then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.shop.admin.customers import AdminCustomers
from bot.shop.admin.orders import AdminOrders
from bot.shop.admin.parsing import UserRef
from bot.shop.admin.values import Adjustment, AdminOrder
from bot.shop.enums import OrderState
from bot.shop.errors import AlreadyRefunded, InsufficientFunds, RefundNotAllowed
from bot.shop.money import Micro, format_amount
from bot.shop.users import UserDTO
from db.repositories.settings import SettingsRepo
from db.uow import writes

KEY_PREFIX = "confirm:"
TTL = timedelta(minutes=15)
MAX_REASON = 500
PUBLIC = "public:"


@dataclass(frozen=True, slots=True)
class Reason:
    """The admin's reason: private (the ledger and the audit) unless it began `public:`,
    then the customer reads it too."""

    text: str | None
    public: bool = False

    @classmethod
    def parse(cls, raw: str | None) -> Reason:
        text = (raw or "").strip()
        public = text[: len(PUBLIC)].lower() == PUBLIC
        if public:
            text = text[len(PUBLIC) :].strip()
        text = text[:MAX_REASON]
        return cls(text or None, public and bool(text))

    @property
    def for_customer(self) -> str | None:
        return self.text if self.public else None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A /credit or /debit waiting for Confirm."""

    token: str
    actor_id: int
    credit: bool
    customer: UserDTO  # as the shop knew them when the admin asked
    amount: Micro
    reason: Reason
    created_at: datetime

    @property
    def balance_after(self) -> Micro:
        return self.customer.balance + (self.amount if self.credit else -self.amount)

    def dump(self) -> str:
        return json.dumps(
            {
                "actor_id": self.actor_id,
                "credit": self.credit,
                "user_id": self.customer.id,
                "amount": self.amount,
                "reason": self.reason.text,
                "public": self.reason.public,
                "created_at": self.created_at.isoformat(),
            }
        )


class Outcome(StrEnum):
    DONE = "done"  # the money moved now
    REPEATED = "repeated"  # it moved before, on an earlier Confirm
    CANCELLED = "cancelled"  # the admin cancelled it (now or before)
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"  # another admin's proposal
    GONE = "gone"  # no such proposal (tampered or very old data)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    proposal: Proposal | None = None
    adjustment: Adjustment | None = None  # DONE and REPEATED


def reference(token: str) -> str:
    """The ledger row's unique reference for the proposal `token`."""
    return KEY_PREFIX + token


class AdminMoneyConfirm(AdminCustomers, AdminOrders):
    """`AdminService`'s two-step /credit, /debit and /refund."""

    @writes
    async def ask_refund(self, actor_id: int, order_id: int) -> AdminOrder:
        """The order as a refund would change it; refused now (RefundNotAllowed,
        AlreadyRefunded) when the refund would be, leaving no audit row behind."""
        async with self.session.begin_nested():
            view = await self.order(actor_id, order_id, action="refund.ask")
            if view.order.state in (OrderState.SUBMITTING, OrderState.UNKNOWN):
                raise RefundNotAllowed(order_id, view.order.state)
            if not view.can_refund:
                raise AlreadyRefunded(order_id)
        return view

    @writes
    async def propose_adjustment(
        self,
        actor_id: int,
        who: UserRef,
        amount: Micro,
        *,
        credit: bool,
        reason: Reason,
        token: str,
    ) -> Proposal:
        """What the adjustment would do; a debit the balance cannot cover is refused now
        (InsufficientFunds), before anything is stored."""
        row = await self._find(who)
        customer = UserDTO.of(row)
        if not credit and amount > customer.balance:
            raise InsufficientFunds(needed=amount, available=customer.balance)
        proposal = Proposal(
            token, actor_id, credit, customer, amount, reason, created_at=self.clock.now()
        )
        async with self.session.begin_nested():
            await SettingsRepo(self.session).set(
                KEY_PREFIX + token, proposal.dump(), now=proposal.created_at
            )
            await self.record(
                actor_id,
                "credit.ask" if credit else "debit.ask",
                target_type="user",
                target_id=customer.telegram_id,
                amount=format_amount(amount, self.pricing.currency),
                token=token,
            )
        return proposal

    @writes
    async def confirm_adjustment(self, actor_id: int, token: str) -> Decision:
        """Make the proposed adjustment, once. A debit the balance no longer covers is
        refused (InsufficientFunds) and the proposal stays open."""
        async with self.session.begin_nested():
            proposal, settled = await self._still_open(actor_id, token)
            if settled is not None:
                return settled
            assert proposal is not None
            if self.clock.now() - proposal.created_at > TTL:
                return Decision(Outcome.EXPIRED, proposal)
            if not await self.repo.claim_setting(
                KEY_PREFIX + token + ":end", Outcome.DONE, now=self.clock.now()
            ):  # pragma: no cover - only a concurrent Confirm gets here, and it waited
                return await self._ended(proposal) or Decision(Outcome.GONE)
            adjustment = await self.adjust(
                actor_id,
                proposal.customer.id,
                proposal.amount,
                credit=proposal.credit,
                reason=proposal.reason.text,
                reference=reference(token),
            )
        return Decision(Outcome.DONE, proposal, adjustment)

    @writes
    async def cancel_adjustment(self, actor_id: int, token: str) -> Decision:
        async with self.session.begin_nested():
            proposal, settled = await self._still_open(actor_id, token)
            if settled is not None:
                return settled
            assert proposal is not None
            await self.repo.claim_setting(
                KEY_PREFIX + token + ":end", Outcome.CANCELLED, now=self.clock.now()
            )
        return Decision(Outcome.CANCELLED, proposal)

    async def _still_open(
        self, actor_id: int, token: str
    ) -> tuple[Proposal | None, Decision | None]:
        """The proposal behind `token` if this admin may still decide it; else the answer
        (gone, another admin's, or how it ended)."""
        proposal = await self._proposal(token)
        if proposal is None:
            return None, Decision(Outcome.GONE)
        if proposal.actor_id != actor_id:
            return None, Decision(Outcome.NOT_YOURS)
        return proposal, await self._ended(proposal)

    async def _proposal(self, token: str) -> Proposal | None:
        value = await SettingsRepo(self.session).get(KEY_PREFIX + token)
        if value is None:
            return None
        data = json.loads(value)
        customer = await self.users.get(int(data["user_id"]))
        if customer is None:  # pragma: no cover - customers are never deleted
            return None
        return Proposal(
            token=token,
            actor_id=int(data["actor_id"]),
            credit=bool(data["credit"]),
            customer=UserDTO.of(customer),
            amount=int(data["amount"]),
            reason=Reason(data.get("reason"), bool(data.get("public"))),
            created_at=datetime.fromisoformat(data["created_at"]),
        )

    async def _ended(self, proposal: Proposal) -> Decision | None:
        """How the proposal ended, if it did."""
        end = await SettingsRepo(self.session).get(KEY_PREFIX + proposal.token + ":end")
        if end is None:
            return None
        if end == Outcome.CANCELLED:
            return Decision(Outcome.CANCELLED, proposal)
        entry = await self.wallet.entry(reference(proposal.token))
        if entry is None:  # pragma: no cover - the claim and the row commit together
            return Decision(Outcome.GONE, proposal)
        customer = UserDTO.of(await self._find(proposal.customer.id))
        return Decision(
            Outcome.REPEATED,
            proposal,
            Adjustment(customer, entry, proposal.credit, repeated=True),
        )


__all__ = [
    "TTL",
    "AdminMoneyConfirm",
    "Decision",
    "Outcome",
    "Proposal",
    "Reason",
    "reference",
]
