"""A customer flooding the bot is slowed with one notice, not answered N times."""

from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_warning_then_silence_then_recovery() -> None:
    ticks = Ticks()
    throttle = ThrottlingMiddleware(create_i18n(), rate=2.0, burst=5, clock=ticks)
    results = [throttle.allow(7) for _ in range(9)]
    assert results[:5] == [(True, False)] * 5
    assert results[5] == (False, True)  # one notice
    assert results[6:] == [(False, False)] * 3  # then silence
    ticks.now += 0.5  # one token back
    assert throttle.allow(7) == (True, False)
    assert throttle.allow(8) == (True, False)  # other customers are not affected


def test_idle_buckets_are_forgotten() -> None:
    ticks = Ticks()
    throttle = ThrottlingMiddleware(create_i18n(), rate=1.0, burst=2, clock=ticks, max_users=3)
    for user in range(3):
        throttle.allow(user)
    ticks.now += 60
    throttle.allow(99)
    assert len(throttle._buckets) == 1
