"""The metrics page: every figure for a chosen period, with charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from ivr.callbacks.metrics import callback_metrics
from ivr.calls.metrics import compute_metrics
from ivr.calls.query import CallFilter, parse_day
from ivr.web import charts
from ivr.web.app_keys import STORE, TZ

#: Period choices offered as buttons: label -> days back from today.
PERIODS = {"today": 1, "7 days": 7, "30 days": 30, "90 days": 90}
#: Longest period the page computes (ten years of days).
MAX_DAYS = 3660


def _days(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_DAYS):
        raise ValueError(f"days: give a whole number from 1 to {MAX_DAYS}")
    return int(text)


def period(request: web.Request) -> tuple[dt.datetime, dt.datetime, str | None]:
    """The chosen period; on a bad parameter the last 7 days and a message naming it."""
    return period_of(request.query, request.app[TZ])


def period_of(query: Mapping[str, Any],
              tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime, str | None]:
    """The period *query* (``since``, ``until``, ``days``) names, as :func:`period` reads it."""
    today = dt.datetime.now(tz).date()
    try:
        end_day = parse_day(query["until"], "until") if query.get("until") else today
        if query.get("since"):
            start_day = parse_day(query["since"], "since")
        else:
            start_day = end_day - dt.timedelta(days=_days(query.get("days", "7")) - 1)
        if start_day > end_day:
            raise ValueError("the period ends before it starts (since is after until)")
        if (end_day - start_day).days >= MAX_DAYS:
            raise ValueError(f"the period is longer than {MAX_DAYS} days")
        error = None
    except ValueError as exc:
        start_day, end_day = today - dt.timedelta(days=6), today
        error = f"{exc}; showing the last 7 days"
    start = dt.datetime.combine(start_day, dt.time(), tz)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), tz)
    return start, end, error


async def metrics_page(request: web.Request) -> web.StreamResponse:
    """Figures and charts for the chosen period."""
    start, end, error = period(request)
    m = await compute_metrics(request.app[STORE], CallFilter(since=start, until=end),
                              request.app[TZ])
    hourly = _hourly(m.calls_per_hour, start, end)
    return aiohttp_jinja2.render_template("metrics.html", request, {
        "m": m, "error": error, "periods": PERIODS,
        "cb": await callback_metrics(request.app[STORE].engine, start, end),
        "since": start.date().isoformat(),
        "until": (end - dt.timedelta(days=1)).date().isoformat(),
        "per_hour": charts.bar_chart(hourly),
        "dropoff": charts.hbar_chart([(n, float(c)) for n, c in m.dropoff_by_node[:12]]),
        "queues": charts.hbar_chart([(q, float(c)) for q, c, _w in m.transfers_by_queue]),
        "options": charts.hbar_chart([(f"{node}: {opt}", float(c))
                                     for node, opt, c in m.top_options[:10]]),
        "csat": charts.line_chart([(d.strftime("%m-%d"), avg) for d, avg, _n in m.survey_trend],
                                  low=1, high=5),
    }, status=400 if error else 200)


def _hourly(per_hour: list[tuple[dt.datetime, int]], start: dt.datetime,
            end: dt.datetime) -> list[tuple[str, float]]:
    """Calls per hour; one day shows 24 hours, a longer period the hour-of-day profile."""
    if end - start <= dt.timedelta(days=1):
        counts = {when.hour: n for when, n in per_hour}
        return [(f"{h:02d}", float(counts.get(h, 0))) for h in range(24)]
    profile = [0] * 24
    for when, n in per_hour:
        profile[when.hour] += n
    return [(f"{h:02d}", float(c)) for h, c in enumerate(profile)]


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/metrics", metrics_page)
