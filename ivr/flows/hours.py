"""Business hours: is a calendar open at a given moment? Pure; the caller supplies the time.

An opening range is ``"HH:MM-HH:MM"`` with its end after its start (``24:00``
means midnight at the end of the day). A range that runs past midnight must
say so, ``"22:00-02:00 overnight"``: a reversed range is far more often a typo
(``08:00-02:00`` for ``08:00-20:00``) than a night shift, so it is an error
unless marked. :func:`parse_range` is shared by the engine and ``ivr validate``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ivr.flows.parts import WEEKDAYS, Calendar, Holiday

OVERNIGHT = "overnight"
_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*(?:\s(\w+))?\s*$")
_DAY = 24 * 60


class RangeError(ValueError):
    """An opening range that cannot be used; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class OpeningRange:
    """Minutes from midnight: open from ``start`` until ``end`` (the next day when overnight)."""

    start: int
    end: int
    overnight: bool = False


def parse_range(text: str) -> OpeningRange:
    """Read ``"09:00-17:30"`` or ``"22:00-02:00 overnight"``; raise :class:`RangeError`."""
    m = _RANGE_RE.match(text)
    if m is None:
        raise RangeError(f"{text!r} is not an opening range",
                         "write HH:MM-HH:MM, e.g. '09:00-17:30', or '22:00-02:00 overnight'")
    h1, m1, h2, m2, word = m.groups()
    start, end = _minutes(h1, m1, text, "start"), _minutes(h2, m2, text, "end")
    if word is not None and word != OVERNIGHT:
        raise RangeError(f"unknown word {word!r} after the range {text!r}",
                         f"the only word allowed is '{OVERNIGHT}'")
    bare = f"{h1.zfill(2)}:{m1}-{h2.zfill(2)}:{m2}"
    if start == _DAY:
        raise RangeError(f"{text!r} starts at 24:00", "a range starts at 00:00-23:59")
    if word == OVERNIGHT:
        if end >= start:
            raise RangeError(f"{text!r} is marked overnight but ends after it starts",
                             f"remove '{OVERNIGHT}': write '{bare}'")
        return OpeningRange(start, end, overnight=True)
    if end == start:
        raise RangeError(f"{text!r} is empty (it ends when it starts)",
                         "for all day write '00:00-24:00'")
    if end < start:
        raise RangeError(f"{text!r} ends before it starts",
                         f"to stay open past midnight on purpose write '{bare} {OVERNIGHT}'")
    return OpeningRange(start, end)


def _minutes(hours: str, minutes: str, text: str, which: str) -> int:
    h, mins = int(hours), int(minutes)
    if mins > 59 or h > 24 or (h == 24 and mins):
        raise RangeError(
            f"{hours}:{minutes} in {text!r} is not a clock time",
            "hours run 00-23 (24:00 only as an end), minutes 00-59; "
            f"for a range that runs past midnight write e.g. '22:00-02:00 {OVERNIGHT}'",
        )
    return h * 60 + mins


def expand_days(days: str) -> tuple[str, ...]:
    """``mon-fri`` -> the days it names (``fri-mon`` wraps over the weekend)."""
    first, _sep, last = days.partition("-")
    i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return WEEKDAYS[i : j + 1] if i <= j else WEEKDAYS[i:] + WEEKDAYS[: j + 1]


def is_open(calendar: Calendar, now: dt.datetime) -> bool:
    """Return True while *calendar* is open at *now* (a timezone-aware datetime).

    A holiday closes the day unless it lists special hours; an overnight range
    opened yesterday still counts after midnight.
    """
    if now.tzinfo is None:
        raise ValueError("is_open needs an aware datetime; the engine gets time from its adapter")
    local = now.astimezone(ZoneInfo(calendar.timezone))
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    t = local.hour * 60 + local.minute
    for r in _ranges(calendar, today):
        if r.start <= t and (r.overnight or t < r.end):
            return True
    return any(r.overnight and t < r.end for r in _ranges(calendar, yesterday))


def _ranges(calendar: Calendar, day: dt.date) -> list[OpeningRange]:
    for holiday in calendar.holidays:
        if isinstance(holiday, Holiday) and holiday.date == day:
            return [parse_range(r) for r in holiday.hours]
        if holiday == day:
            return []
    weekday = WEEKDAYS[day.weekday()]
    out: list[OpeningRange] = []
    for days, ranges in calendar.weekly.items():
        if weekday in expand_days(days):
            out.extend(parse_range(r) for r in ([ranges] if isinstance(ranges, str) else ranges))
    return out
