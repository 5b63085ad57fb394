"""Operator alerts about unexpected errors, rate limited (the rule: bot/shop/admin_alerts.py).

The errors router's catch-all handler calls `report_unexpected` for each error; the
periodic job `flush_error_alerts(deps, dispatcher)` sends the summary of a storm that has
ended. Both share the running bot's one ErrorAlerts, kept in the dispatcher.
"""

from __future__ import annotations

import logging

from aiogram import Dispatcher
from aiogram.types import ErrorEvent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.outbox.writer import Outbox
from bot.shop.admin_alerts import ErrorAlert, ErrorAlerts
from bot.texts import operator_alerts

log = logging.getLogger(__name__)
KEY = "error_alerts"


def error_alerts(dispatcher: Dispatcher, deps: Deps) -> ErrorAlerts:
    """The running bot's one ErrorAlerts (kept in the dispatcher's workflow data)."""
    alerts = dispatcher.workflow_data.get(KEY)
    if not isinstance(alerts, ErrorAlerts):
        alerts = ErrorAlerts(deps.clock)
        dispatcher.workflow_data[KEY] = alerts
    return alerts


def _text(deps: Deps, alert: ErrorAlert) -> str:
    i18n = deps.i18n
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        return operator_alerts.alert_error(alert)


async def report_unexpected(
    event: ErrorEvent, deps: Deps, dispatcher: Dispatcher, session: AsyncSession | None
) -> bool:
    """Count the error; queue an alert when it opens a new window. True when queued.

    The alert is a use case of its own: what the failed handler had committed stays, what
    it had not was rolled back by its own use case.
    """
    alert = error_alerts(dispatcher, deps).record(event.exception, update_id=event.update.update_id)
    if alert is None or session is None:
        return False
    try:
        await Outbox(session, deps.clock, deps.settings).to_operators(_text(deps, alert))
    except Exception:  # the alert must never raise out of the error handler
        log.exception("could not queue the operators' alert for update %s", alert.update_id)
        return False
    return True


async def flush_error_alerts(deps: Deps, dispatcher: Dispatcher) -> bool:
    """The summary of errors held back, once their window has passed (a periodic job)."""
    alert = error_alerts(dispatcher, deps).flush()
    if alert is None:
        return False
    async with deps.session_factory() as session, session.begin():
        await Outbox(session, deps.clock, deps.settings).to_operators(_text(deps, alert))
    return True
