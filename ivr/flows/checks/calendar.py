"""Rules about hours calendars: every name, day and range the engine reads at run time.

Whatever ``is_open`` would stumble on during a call (an unknown time zone,
``18:75``, a reversed range) is reported here at load time, with the place
and how to write it, so ``ivr validate`` and a live reload refuse it.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Iterator
from functools import cache

from ivr.flows.checks.walk import at
from ivr.flows.hours import RangeError, parse_range
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.parts import WEEKDAYS, Holiday
from ivr.flows.problems import Problem
from ivr.flows.yamlread import DocPath


@cache
def _zones() -> dict[str, str]:
    """Known time-zone names by their lower-case spelling."""
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def timezone_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when *name* is not a time zone this machine knows, else None."""
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        pass
    else:
        return None
    zones = _zones()
    # Compare spellings loosely: 'america/new-york' and 'America/New York' mean New_York.
    loose = name.lower().replace("-", "_").replace(" ", "_")
    close = ([zones[loose]] if loose in zones else
             [zones[z] for z in difflib.get_close_matches(loose, list(zones), n=1, cutoff=0.6)])
    hint = (f"did you mean {close[0]!r}?" if close
            else "use an IANA name like 'America/New_York' or 'Asia/Seoul'")
    return f"unknown time zone {name!r}", hint


def calendars(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Time zones, weekday names and opening ranges of every calendar (holidays included)."""
    for name, cal in fs.document.calendars.items():
        base: DocPath = ("calendars", name)
        bad_zone = timezone_problem(cal.timezone)
        if bad_zone is not None:
            yield at(fs, (*base, "timezone"), *bad_zone)
        for days, ranges in cal.weekly.items():
            parts = days.split("-")
            if len(parts) > 2 or any(p not in WEEKDAYS for p in parts):
                wrong = next((p for p in parts if p not in WEEKDAYS), days)
                close = difflib.get_close_matches(wrong.lower(), WEEKDAYS, n=1)
                yield at(fs, (*base, "weekly", days),
                         f"{days!r} is not a day or day range",
                         (f"did you mean {close[0]!r}? " if close else "")
                         + f"write days as {', '.join(WEEKDAYS)} or a range like 'mon-fri'",
                         key=True)
            path = (*base, "weekly", days)
            if isinstance(ranges, str):
                yield from _range(fs, path, ranges)
            else:
                for i, text in enumerate(ranges):
                    yield from _range(fs, (*path, i), text)
        for i, holiday in enumerate(cal.holidays):
            if isinstance(holiday, Holiday):
                for j, text in enumerate(holiday.hours):
                    yield from _range(fs, (*base, "holidays", i, "hours", j), text)


def _range(fs: LoadedFlowSet, path: DocPath, text: str) -> Iterator[Problem]:
    try:
        parse_range(text)
    except RangeError as exc:
        yield at(fs, path, str(exc), exc.hint)
