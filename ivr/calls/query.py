"""Finding calls: the filters supervisors use, as one SQL query on either backend.

The dashboard's call list, its CSV export and ``ivr calls`` all go through
:func:`search_calls`, so a filter means the same thing everywhere. Every value
a user types is a bound parameter, never SQL text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from ivr.calls.outcome import LOST, OutcomeKind
from ivr.calls.store import schema
from ivr.calls.store.sql import SqlStore

#: The filter value for calls still running (no outcome yet).
IN_PROGRESS = "in_progress"
#: Outcomes a finished call can have, plus ``in_progress`` for calls still running.
OUTCOMES = (*(kind.value for kind in OutcomeKind), IN_PROGRESS)


@dataclass(frozen=True)
class CallFilter:
    """What to look for; every field is optional and they combine with AND."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    caller: str | None = None  # substring of the caller number
    flow: str | None = None
    outcome: str | None = None  # one of OUTCOMES
    queue: str | None = None
    abandoned_at: str | None = None  # node where the call was abandoned
    min_ivr_s: float | None = None
    max_ivr_s: float | None = None
    text: str | None = None  # words in speech transcripts

    def is_empty(self) -> bool:
        """True when nothing narrows the search."""
        return all(getattr(self, f.name) in (None, "") for f in fields(self))


@dataclass(frozen=True)
class CallSummary:
    """One row of the call list."""

    call_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    caller: str | None
    dnid: str | None
    flow: str
    language: str | None
    outcome: str | None
    outcome_node: str | None
    last_node: str | None
    queue: str | None
    transfer_target: str | None
    ivr_seconds: float | None
    after_ivr_status: str | None
    queue_wait_s: float | None
    survey_kind: str | None
    survey_score: int | None
    recording: str | None

    @property
    def where(self) -> str | None:
        """The node the call ended in (or has reached, while in progress)."""
        return self.outcome_node or self.last_node


@dataclass(frozen=True)
class Page:
    """One page of results, newest first."""

    calls: list[CallSummary]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages the whole result has (at least 1)."""
        return max(1, -(-self.total // self.per_page))


_SUMMARY_COLUMNS = [schema.calls.c[f.name] for f in fields(CallSummary)]


def conditions(flt: CallFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for *flt* (shared with the metrics queries)."""
    c = schema.calls.c
    where: list[ColumnElement[bool]] = []
    if flt.since is not None:
        where.append(c.started_at >= flt.since)
    if flt.until is not None:
        where.append(c.started_at < flt.until)
    if flt.caller:
        where.append(c.caller.contains(flt.caller, autoescape=True))
    if flt.flow:
        where.append(c.flow == flt.flow)
    if flt.outcome == IN_PROGRESS:
        where.append(c.outcome.is_(None))
    elif flt.outcome:
        where.append(c.outcome == flt.outcome)
    if flt.queue:
        where.append(c.queue == flt.queue)
    if flt.abandoned_at:
        where.append(and_(c.outcome.in_(LOST),
                          c.outcome_node == flt.abandoned_at))
    if flt.min_ivr_s is not None:
        where.append(c.ivr_seconds >= flt.min_ivr_s)
    if flt.max_ivr_s is not None:
        where.append(c.ivr_seconds <= flt.max_ivr_s)
    for word in (flt.text or "").lower().split():
        where.append(c.transcript.contains(word, autoescape=True))
    return where


def _select(flt: CallFilter) -> Select[Any]:
    return select(*_SUMMARY_COLUMNS).where(*conditions(flt))


async def search_calls(store: SqlStore, flt: CallFilter, page: int = 1,
                       per_page: int = 50) -> Page:
    """Return page *page* (from 1) of the calls matching *flt*, newest first."""
    page = max(1, page)
    per_page = max(1, min(per_page, 500))
    c = schema.calls.c
    async with store.engine.connect() as conn:
        total = (await conn.execute(
            select(func.count()).select_from(schema.calls).where(*conditions(flt)))).scalar_one()
        result = await conn.execute(
            _select(flt).order_by(c.started_at.desc(), c.call_id)
            .limit(per_page).offset((page - 1) * per_page))
        calls = [CallSummary(**row) for row in result.mappings()]
        facets = {}
        for name in ("flow", "queue", "outcome_node"):
            column = c[name]
            values = (await conn.execute(
                select(column).where(column.is_not(None)).distinct().order_by(column)
            )).scalars().all()
            facets[name] = [str(v) for v in values]
    return Page(calls, int(total), page, per_page, facets)


async def iter_calls(store: SqlStore, flt: CallFilter,
                     limit: int | None = None) -> list[CallSummary]:
    """All calls matching *flt* (newest first), for export."""
    query = _select(flt).order_by(schema.calls.c.started_at.desc(), schema.calls.c.call_id)
    if limit is not None:
        query = query.limit(limit)
    async with store.engine.connect() as conn:
        return [CallSummary(**row) for row in (await conn.execute(query)).mappings()]


CSV_COLUMNS = ("call_id", "started_at", "ended_at", "caller", "dnid", "flow", "language",
               "outcome", "where", "queue", "transfer_target", "ivr_seconds",
               "after_ivr_status", "queue_wait_s", "survey_kind", "survey_score")


def calls_csv(calls: Iterable[CallSummary]) -> str:
    """The calls as CSV text with a header row (cells that a spreadsheet would run are defused)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for call in calls:
        writer.writerow([_cell(getattr(call, name)) for name in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float):
        return f"{value:.1f}"
    return defuse_formula(str(value))


#: What spreadsheets start a formula with (after NFKC, so full-width ＝ ＋ － ＠ count too).
_FORMULA_START = frozenset("=+-@\u2212")  # U+2212 MINUS SIGN


def _ignorable(char: str) -> bool:
    # Spreadsheets skip leading spaces (any Unicode space, NBSP, ideographic space), controls
    # (tab, CR, LF) and invisible format characters (zero-width space, BOM) before "=".
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def defuse_formula(text: str) -> str:
    """*text* prefixed with ``'`` when a spreadsheet could read it as a formula.

    Caller-controlled text (a caller ID, a caller name) must not run in Excel or
    LibreOffice: a cell whose first visible character, after any leading whitespace or
    invisible characters, is ``= + - @`` in any width, or that starts with a tab or CR,
    is made literal.
    """
    start = next((c for c in text if not _ignorable(c)), "")
    if text[:1] in ("\t", "\r", "\n") or \
            unicodedata.normalize("NFKC", start)[:1] in _FORMULA_START:
        return "'" + text
    return text


def parse_filter(params: dict[str, str] | Any, tz: dt.tzinfo = dt.UTC) -> CallFilter:
    """Build a :class:`CallFilter` from form/query parameters; raises ``ValueError`` naming a field.

    Dates are ``YYYY-MM-DD`` (whole days in *tz*; ``until`` is inclusive) or ISO
    times; numbers are seconds.
    """

    def text(name: str) -> str | None:
        return clean_text(params.get(name), name)

    def number(name: str) -> float | None:
        value = text(name)
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a number of seconds") from None
        if not 0 <= seconds <= MAX_SECONDS:  # also refuses nan
            raise ValueError(f"{name}: give seconds from 0 to {MAX_SECONDS:.0f}")
        return seconds

    outcome = text("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    return CallFilter(
        since=_when(text("since"), tz, "since", end=False),
        until=_when(text("until"), tz, "until", end=True),
        caller=text("caller"), flow=text("flow"), outcome=outcome, queue=text("queue"),
        abandoned_at=text("abandoned_at"), min_ivr_s=number("min_ivr_s"),
        max_ivr_s=number("max_ivr_s"), text=text("text"),
    )


#: Longest text a filter field takes (caller numbers and node names are far shorter).
MAX_TEXT = 200
#: Largest duration a filter takes (a year of seconds).
MAX_SECONDS = 366 * 24 * 3600.0
#: Dates outside these years are typing mistakes (and beyond 9999 there is no date at all).
YEARS = (1970, 9000)


def clean_text(raw: object, name: str) -> str | None:
    """A filter's text value, stripped; None when empty; ``ValueError`` naming *name* if unusable.

    Control characters (a NUL byte PostgreSQL refuses, a line break) and overlong values
    are refused rather than passed to the database.
    """
    value = str(raw or "").strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name}: at most {MAX_TEXT} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValueError(f"{name}: control characters are not allowed")
    return value or None


def parse_day(value: str, name: str) -> dt.date:
    """``YYYY-MM-DD`` within :data:`YEARS`; ``ValueError`` naming *name* otherwise."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    _check_year(day.year, value, name)
    return day


def _check_year(year: int, value: str, name: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(f"{name}: {value!r} is not between the years {YEARS[0]} and {YEARS[1]}")


def _when(value: str | None, tz: dt.tzinfo, name: str, *, end: bool) -> dt.datetime | None:
    if value is None:
        return None
    if len(value) == 10:
        day = dt.datetime.combine(parse_day(value, name), dt.time(), tz)
        return day + dt.timedelta(days=1) if end else day
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or ISO time") from None
    _check_year(when.year, value, name)
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def filter_params(flt: CallFilter) -> dict[str, str]:
    """The query-string form of *flt* (for paging and export links)."""
    out: dict[str, str] = {}
    for f in fields(flt):
        value = getattr(flt, f.name)
        if value in (None, ""):
            continue
        out[f.name] = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return out
