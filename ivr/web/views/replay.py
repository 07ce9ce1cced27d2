"""The replay page (admins): a period's stored calls fed through changed flows, what changes.

The same replay as ``ivr replay`` (:mod:`ivr.replay`): the engine and interpreter live
calls use, each call at its recorded time. The changed flows come from :mod:`ivr.web.replay_source`
(a file beside the deployed one, picked from a list, or an upload). The form is a
POST, so the auth middleware checks its CSRF token; the page shows call ids, times,
node names and outcomes only, as the call list does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from functools import partial
from pathlib import PurePath
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.calls.query import CallFilter, iter_calls
from ivr.flows.problems import FlowErrors
from ivr.replay.report import Report, replay_all
from ivr.web import auth
from ivr.web.app_keys import FLOWS, STORE, TZ
from ivr.web.replay_source import MAX_UPLOAD, SourceError, candidates, load_named, load_uploaded
from ivr.web.views.metrics import period_of

#: Calls one page run replays at most (the newest of the period); ``ivr replay`` has no cap.
MAX_CALLS = 5000
#: Calls listed one by one (those that change first); the totals cover every call.
MAX_LISTED = 300
NOT_REPLAYABLE = "not replayable"


def _days(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"since": start.date().isoformat(),
            "until": (end - dt.timedelta(days=1)).date().isoformat()}


async def _page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    """The page with the form, and whatever *extra* holds (an error, a report)."""
    deployed = request.app[FLOWS].path
    context: dict[str, Any] = {
        "files": candidates(deployed), "deployed": deployed.name, "chosen": deployed.name,
        "max_kib": MAX_UPLOAD // 1024, "report": None, "error": None, "problems": [],
        "max_calls": MAX_CALLS, **extra}
    if "since" not in context:
        today = dt.datetime.now(request.app[TZ]).date()
        context.update(since=(today - dt.timedelta(days=6)).isoformat(), until=today.isoformat())
    return aiohttp_jinja2.render_template("replay.html", request, context, status=status)


@auth.admin_only
async def replay_form(request: web.Request) -> web.StreamResponse:
    """The form: a period, and a flows file to replay through (listed or uploaded)."""
    return await _page(request)


@auth.admin_only
async def replay_run(request: web.Request) -> web.StreamResponse:
    """Replay the period's calls through the chosen flows and show what changes."""
    form = await request.post()
    fields = {k: v for k in ("since", "until") if isinstance(v := form.get(k), str) and v}
    start, end, error = period_of(fields, request.app[TZ])
    shown = _days(start, end)
    if error is not None:
        return await _page(request, 400, error=error, **shown)
    deployed = request.app[FLOWS].path
    upload = form.get("upload")
    chosen = str(form.get("file") or "")
    try:
        if isinstance(upload, web.FileField) and upload.filename:
            raw = upload.file.read(MAX_UPLOAD + 1)
            flowset = await asyncio.to_thread(load_uploaded, deployed, raw)
            source = f"the uploaded file {PurePath(upload.filename).name}"
        else:
            flowset = await asyncio.to_thread(load_named, deployed, chosen)
            source = chosen
    except SourceError as exc:
        return await _page(request, 400, error=str(exc), chosen=chosen, **shown)
    except FlowErrors as exc:
        problems = [(p.line, p.message, p.hint) for p in exc.problems]
        return await _page(request, 400, error="the flows file has errors; nothing replayed",
                           problems=problems, chosen=chosen, **shown)
    store = request.app[STORE]
    summaries = await iter_calls(store, CallFilter(since=start, until=end),
                                 limit=MAX_CALLS + 1)
    capped = len(summaries) > MAX_CALLS
    records = await store.get_many([s.call_id for s in reversed(summaries[:MAX_CALLS])])
    report = await asyncio.to_thread(partial(replay_all, flowset, records))
    return await _page(request, 200, report=report, table=outcome_table(report), source=source,
                       capped=capped, listed=_listed(report), chosen=chosen, **shown)


def outcome_table(report: Report) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """Old outcomes (rows), new outcomes (columns, "not replayable" last) and the counts."""
    counts: Counter[tuple[str, str]] = Counter(
        (r.old.label, r.new.label if r.new is not None else NOT_REPLAYABLE)
        for r in report.results)
    rows = Counter[str]()
    cols = Counter[str]()
    for (old, new), n in counts.items():
        rows[old] += n
        cols[new] += n
    columns = [c for c, _ in cols.most_common() if c != NOT_REPLAYABLE]
    if NOT_REPLAYABLE in cols:
        columns.append(NOT_REPLAYABLE)
    return [r for r, _ in rows.most_common()], columns, dict(counts)


def _listed(report: Report) -> list[Any]:
    """The calls that do not end the same way: changed first, then not replayable, rerouted."""
    order = {"changed": 0, "not_replayable": 1, "rerouted": 2}
    moved = [r for r in report.results if r.status != "same"]
    moved.sort(key=lambda r: (order[r.status], r.started_at))
    return moved[:MAX_LISTED]


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/replay", replay_form)
    app.router.add_post("/replay", replay_run)
