"""Business hours: is a calendar open at a given moment? Pure; the caller supplies the time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ivr.flows.parts import WEEKDAYS, Calendar, Holiday

_Range = tuple[dt.time, dt.time | None]  # None end = midnight (24:00)


def is_open(calendar: Calendar, now: dt.datetime) -> bool:
    """Return True while *calendar* is open at *now* (a timezone-aware datetime).

    Ranges whose end is not after their start run past midnight
    (``22:00-02:00``); a holiday closes the day unless it lists special hours.
    """
    if now.tzinfo is None:
        raise ValueError("is_open needs an aware datetime; the engine gets time from its adapter")
    local = now.astimezone(ZoneInfo(calendar.timezone))
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    t = local.time()
    for start, end in _ranges(calendar, today):
        if start <= t and (end is None or t < end or end <= start):
            return True
    overnight = _ranges(calendar, yesterday)
    return any(end is not None and end <= start and t < end for start, end in overnight)


def _ranges(calendar: Calendar, day: dt.date) -> list[_Range]:
    for holiday in calendar.holidays:
        if isinstance(holiday, Holiday) and holiday.date == day:
            return [_parse(r) for r in holiday.hours]
        if holiday == day:
            return []
    weekday = WEEKDAYS[day.weekday()]
    out: list[_Range] = []
    for days, ranges in calendar.weekly.items():
        if weekday in _expand(days):
            out.extend(_parse(r) for r in ([ranges] if isinstance(ranges, str) else ranges))
    return out


def _expand(days: str) -> tuple[str, ...]:
    first, _sep, last = days.partition("-")
    i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return WEEKDAYS[i : j + 1] if i <= j else WEEKDAYS[i:] + WEEKDAYS[: j + 1]


def _parse(text: str) -> _Range:
    start, end = text.split("-")
    return _time(start), (None if end == "24:00" else _time(end))


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours) % 24, int(minutes))
