"""DAILY_REPORT_HOUR: the daily summary, queued for the operators' chat once per window.

Run every few minutes by the scheduler (under the leader lock): it does nothing until the
hour has come and after the window was reported (bot/shop/daily_report.py says how).
"""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.shop.daily_report import DailyReportService, dedupe_key
from bot.texts.daily_report import daily_report
from db.uow import unit_of_work

log = logging.getLogger(__name__)

EVERY_SECONDS = 300


async def send_daily_report(deps: Deps) -> bool:
    """Queue the report that fell due last, if it is not queued yet; True when queued."""
    hour = deps.settings.daily_report_hour
    if hour is None or deps.settings.operator_chat_id is None:
        return False
    async with unit_of_work(deps.session_factory, write=True) as session:
        report = await DailyReportService(session, deps.clock, deps.pricing).take_due(hour)
        if report is None:
            return False
        with in_language(deps.i18n, None):
            text = daily_report(report)
        await Outbox(session, deps.clock, deps.settings).to_operators(
            text, dedupe_key=dedupe_key(report.end)
        )
    log.info("daily report queued for %s – %s", report.start, report.end)
    return True
