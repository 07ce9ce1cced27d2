"""The metrics page: every figure for a chosen period, with charts."""

from __future__ import annotations

import datetime as dt

import aiohttp_jinja2
from aiohttp import web

from ivr.callbacks.metrics import callback_metrics
from ivr.calls.metrics import compute_metrics
from ivr.calls.query import CallFilter
from ivr.web import charts
from ivr.web.app_keys import STORE, TZ

#: Period choices offered as buttons: label -> days back from today.
PERIODS = {"today": 1, "7 days": 7, "30 days": 30, "90 days": 90}


def _period(request: web.Request) -> tuple[dt.datetime, dt.datetime, str | None]:
    tz = request.app[TZ]
    today = dt.datetime.now(tz).date()
    end_day = today
    try:
        if request.query.get("until"):
            end_day = dt.date.fromisoformat(request.query["until"])
        if request.query.get("since"):
            start_day = dt.date.fromisoformat(request.query["since"])
        else:
            start_day = end_day - dt.timedelta(days=int(request.query.get("days", "7")) - 1)
        error = None if start_day <= end_day else "the period ends before it starts"
    except ValueError:
        start_day, end_day = today - dt.timedelta(days=6), today
        error = "dates are YYYY-MM-DD; showing the last 7 days"
    if error and start_day > end_day:
        start_day = end_day
    start = dt.datetime.combine(start_day, dt.time(), tz)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), tz)
    return start, end, error


async def metrics_page(request: web.Request) -> web.StreamResponse:
    """Figures and charts for the chosen period."""
    start, end, error = _period(request)
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
    })


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
