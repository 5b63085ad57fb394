"""How long a service usually takes: the median placed-to-finished time of this shop's own
latest completed orders of it, once there are enough of them; else the panel's own
"average time" where it sends one. Pure rules; the order card reads the inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

MIN_ORDERS = 5  # fewer completed orders say more about luck than about the service
SAMPLE = 50  # the latest ones: a service's speed changes over time


@dataclass(frozen=True, slots=True)
class UsualTime:
    minutes: int
    orders: int | None  # how many of our orders it is measured from; None: the panel's figure


def usual_time(
    spans: Sequence[tuple[datetime, datetime]], panel_minutes: int | None
) -> UsualTime | None:
    """Our median when there are at least MIN_ORDERS spans, else the panel's figure."""
    seconds = [(finished - placed).total_seconds() for placed, finished in spans[:SAMPLE]]
    seconds = [s for s in seconds if s >= 0]  # a clock step back is no measurement
    if len(seconds) >= MIN_ORDERS:
        return UsualTime(max(1, round(median(seconds) / 60)), len(seconds))
    if panel_minutes:
        return UsualTime(panel_minutes, None)
    return None


__all__ = ["MIN_ORDERS", "SAMPLE", "UsualTime", "usual_time"]
