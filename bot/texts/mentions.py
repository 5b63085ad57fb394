"""How staff alerts name people and things: as a person reads them, with the admin
command that opens each ("@alice (id 111) · /user 111", "#12 (/order 12)").

The customer's id is their Telegram id, because that is what `/user` takes. Names come
from people and are escaped by `fmt`.
"""

from __future__ import annotations

from typing import Protocol

from aiogram.utils.i18n import gettext as _

from bot.texts.format import Markup, fmt

_NAME_MAX = 64


class Person(Protocol):
    """Whatever knows a customer's Telegram id and names (UserDTO does)."""

    @property
    def telegram_id(self) -> int: ...

    @property
    def username(self) -> str | None: ...

    @property
    def first_name(self) -> str | None: ...


def customer(person: Person | None, telegram_id: int | None = None) -> Markup:
    """ "@alice (id 111) · /user 111", "Alice (id 111) · /user 111", or the id alone."""
    if person is None:
        if telegram_id is None:
            return Markup("—")
        return fmt(_("id {id} · /user {id}"), id=telegram_id)
    name = f"@{person.username}" if person.username else (person.first_name or "")[:_NAME_MAX]
    if not name:
        return fmt(_("id {id} · /user {id}"), id=person.telegram_id)
    return fmt(_("{name} (id {id}) · /user {id}"), name=name, id=person.telegram_id)


def order_ref(order_id: int) -> Markup:
    """ "#12 (/order 12)"."""
    return fmt(_("#{id} (/order {id})"), id=order_id)


def service_ref(name: str, service_id: int | None, panel_service_id: str | None = None) -> Markup:
    """ "«Followers» (service 2, panel's 105)": the storefront's id, and the panel's
    service id an operator looks up at the panel."""
    name = name[:80]
    if service_id is None and not panel_service_id:
        return fmt("«{name}»", name=name)
    if service_id is None:
        return fmt(_("«{name}» (panel's service {panel})"), name=name, panel=panel_service_id)
    if not panel_service_id:
        return fmt(_("«{name}» (service {id})"), name=name, id=service_id)
    return fmt(
        _("«{name}» (service {id}, panel's {panel})"),
        name=name,
        id=service_id,
        panel=panel_service_id,
    )
