"""Metrics on a seeded set of calls with known outcomes give exact figures, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from ivr.calls.metrics import compute_metrics
from ivr.calls.query import CallFilter
from ivr.calls.store import SqlStore
from tests.calls.seed import DAY1, DAY2, seed


def _r(value: float) -> float:
    return round(value, 6)


def _rounded(value: Any) -> Any:
    """*value* with every float rounded, so exact figures compare without float noise."""
    if isinstance(value, float):
        return _r(value)
    if isinstance(value, list | tuple):
        return type(value)(_rounded(v) for v in value)
    return value


async def test_every_figure_on_the_seeded_calls(store: SqlStore) -> None:
    await seed(store)
    m = await compute_metrics(store, CallFilter())
    assert (m.total, m.finished) == (11, 10)
    assert m.outcomes == {"self_service": 2, "queue": 3, "abandoned": 3, "voicemail": 1,
                          "transfer": 1, "in_progress": 1}
    assert _rounded(m.containment_rate) == _r(0.2)
    assert _rounded(m.abandonment_rate) == _r(0.3)
    assert m.dropoff_by_node == [("pin", 2), ("main_menu", 1)]
    assert _rounded(m.transfers_by_queue) == [("sales", 2, _r(60.0)),
                                              ("support", 1, _r(10.0))]
    assert _rounded(m.queue_abandonment_rate) == _r(1 / 3)
    assert _rounded(m.avg_queue_wait_s) == _r(130 / 3)
    assert _rounded(m.avg_ivr_seconds) == _r(33.5)
    assert m.top_options == [("main_menu", "balance", 4), ("main_menu", "sales", 2),
                             ("main_menu", "support", 1)]
    assert _rounded((m.speech_turns, m.speech_no_match_rate)) == (4, _r(0.5))
    assert _rounded((m.csat_avg, m.csat_count)) == (_r(4.0), 3)
    assert _rounded((m.nps, m.nps_count)) == (_r(100 / 3), 3)
    assert _rounded(m.survey_trend) == [(DAY1.date(), _r(4.5), 2),
                                        (DAY2.date(), _r(3.0), 1)]
    hours = [(when.isoformat(), n) for when, n in m.calls_per_hour]
    assert hours == [("2026-11-20T09:00:00+00:00", 4), ("2026-11-20T10:00:00+00:00", 5),
                     ("2026-11-20T11:00:00+00:00", 1), ("2026-11-21T09:00:00+00:00", 1)]


async def test_a_period_filter_narrows_every_figure(store: SqlStore) -> None:
    await seed(store)
    m = await compute_metrics(store, CallFilter(since=DAY1, until=DAY2))
    assert (m.total, m.finished) == (10, 9)
    assert _rounded(m.containment_rate) == _r(2 / 9)
    assert _rounded(m.transfers_by_queue) == [("sales", 1, _r(90.0)),
                                              ("support", 1, _r(10.0))]
    assert _rounded((m.csat_avg, m.csat_count)) == (_r(4.5), 2)


async def test_hours_are_labelled_in_the_chosen_time_zone(store: SqlStore) -> None:
    await seed(store)
    m = await compute_metrics(store, CallFilter(since=DAY1, until=DAY2),
                              ZoneInfo("America/New_York"))
    first, count = m.calls_per_hour[0]
    assert (first.isoformat(), count) == ("2026-11-20T04:00:00-05:00", 4)


async def test_no_calls_gives_no_rates_rather_than_zero(store: SqlStore) -> None:
    m = await compute_metrics(store, CallFilter(since=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)))
    assert _rounded(m.total) == 0
    assert m.containment_rate is None
    assert m.csat_avg is None
    assert m.nps is None
    assert _rounded(m.calls_per_hour) == []
    assert m.dropoff_by_node == []
