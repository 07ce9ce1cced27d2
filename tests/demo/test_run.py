"""The demo's pretend clock: survey calls are dated today at any hour, others at their hour."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from ivr.demo.callers import SCRIPT
from ivr.demo.run import demo_clock

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("local", ["00:00:20", "00:01:30", "09:15:00", "23:59:50"])
def test_today_calls_fall_on_todays_date(local: str) -> None:
    now = dt.datetime.combine(dt.date(2026, 11, 29), dt.time.fromisoformat(local),
                              NEW_YORK).astimezone(dt.UTC)
    today = [c for c in SCRIPT if c.today]
    assert today, "the demo dates some calls today"
    for call in today:
        clock = demo_clock(call, NEW_YORK, now)
        start = clock()
        assert start.astimezone(NEW_YORK).date() == dt.date(2026, 11, 29)
        assert start <= now
        assert clock() - start == dt.timedelta(seconds=2.5)


@pytest.mark.parametrize("utc", ["2026-12-01T00:50:00", "2026-12-01T00:00:10",
                                 "2026-12-01T04:59:00", "2026-11-30T23:30:00"])
def test_today_calls_fall_on_the_dashboards_date_too(utc: str) -> None:
    """Between midnight in the dashboard's zone (UTC) and the office's (New York, 5 h later).

    Seen: a demo run at 00:50 UTC dated two survey calls 23:5x UTC, the day before, and
    the dashboard's Metrics → today counted 5 of the 7.
    """
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    for call in (c for c in SCRIPT if c.today):
        start = demo_clock(call, NEW_YORK, now, dt.UTC)()
        assert start.astimezone(dt.UTC).date() == now.date()
        assert start.astimezone(NEW_YORK).date() == now.astimezone(NEW_YORK).date()
        assert start <= now


def test_other_calls_keep_their_office_hour() -> None:
    now = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)  # a Friday
    for call in SCRIPT:
        if call.today:
            continue
        start = demo_clock(call, NEW_YORK, now)().astimezone(NEW_YORK)
        assert start.hour == call.local_hour
        assert start.weekday() < 5


@pytest.mark.parametrize("utc", ["2026-11-30T09:27:00", "2026-11-30T03:00:00",
                                 "2026-12-01T23:59:00", "2026-12-05T12:00:00"])
def test_no_call_starts_in_the_future(utc: str) -> None:
    """Early in the day "3 hours ago, at 21:00" is yesterday, not tonight.

    Seen: a demo run at 09:27 UTC on a Monday dated the voicemail call 02:07 UTC the next day.
    """
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    for call in SCRIPT:
        start = demo_clock(call, NEW_YORK, now)()
        assert start <= now, (call.description, start)
        if not call.today:
            assert start.astimezone(NEW_YORK).hour == call.local_hour
            assert start.astimezone(NEW_YORK).weekday() < 5


@pytest.mark.parametrize("day", range(23, 30))  # 2026-11-23 is a Monday: every weekday
def test_the_calls_keep_the_scripts_order_on_every_day_of_the_week(day: int) -> None:
    """Seen: on Mondays "two days ago" and "a day ago" both fell on Friday, out of order."""
    for hour in (3, 15):
        now = dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)
        dated = [(call.ago, demo_clock(call, NEW_YORK, now)()) for call in SCRIPT
                 if not call.today and call.ago.days]
        for (ago_a, start_a), (ago_b, start_b) in itertools.pairwise(dated):
            if ago_a.days > ago_b.days:
                assert start_a < start_b, (now, ago_a, ago_b)
