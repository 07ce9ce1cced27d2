"""A flow that passes ``ivr validate`` never ends a call in ``error`` because of its data.

Hypothesis writes random *valid* flow files (calendars in random time zones
with day ranges, overnight ranges, holidays with and without special hours;
branch conditions on hours, variables, caller and language; templates with
and without defaults; a lookup whose result is used only where it is set) and
plays random callers through them at random moments. Every file must load
(the checks accept what is right) and no call may raise or end in ``error``.
Adapter failures (``AdapterError``) are left out: they are not flow data.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.flows import effects as fx
from ivr.flows import events as ev
from ivr.flows.engine import Call
from ivr.flows.loader import parse_flowset
from ivr.flows.parts import WEEKDAYS

ZONES = sorted(zoneinfo.available_timezones())
WORDS = ["gold", "yes", "no", "on", "off", "true", "standard", "1", "0", "null", "é", "고객"]


@st.composite
def clock(draw: st.DrawFn, low: int = 0, high: int = 23 * 60 + 59) -> int:
    """Minutes from midnight."""
    return draw(st.integers(low, high))


def hhmm(minutes: int) -> str:
    """``570`` -> ``09:30`` (``1440`` -> ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def opening(draw: st.DrawFn) -> str:
    """A valid range: plain (end after start, maybe 24:00) or marked overnight."""
    start = draw(clock(0, 23 * 60 + 58))
    if draw(st.booleans()) and start > 0:
        return f"{hhmm(start)}-{hhmm(draw(clock(0, start - 1)))} overnight"
    return f"{hhmm(start)}-{hhmm(draw(st.integers(start + 1, 24 * 60)))}"


@st.composite
def calendar(draw: st.DrawFn) -> str:
    """One calendar as a YAML flow mapping."""
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
    weekly = {}
    for day in days:
        span = draw(st.sampled_from([day, f"{day}-{draw(st.sampled_from(WEEKDAYS))}"]))
        weekly[span] = draw(st.lists(opening(), min_size=1, max_size=2))
    holidays = []
    for date in draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
                              max_size=3, unique=True)):
        hours = draw(st.lists(opening(), max_size=2))
        holidays.append({"date": date.isoformat(), "hours": hours} if hours
                        else date.isoformat())
    return json.dumps({"timezone": draw(st.sampled_from(ZONES)), "weekly": weekly,
                       "holidays": holidays}, ensure_ascii=False)


@st.composite
def template(draw: st.DrawFn, known: tuple[str, ...]) -> str:
    """A prompt using variables set on every path here, or any variable with a default."""
    pieces = draw(st.lists(st.one_of(
        st.sampled_from(["Hello ", "your ", "{{literal}} ", ", ", "tier ", "!"]),
        st.sampled_from([f"{{{v}}}" for v in known]),
        st.builds(lambda v, d: f"{{{v}|{d}}}",
                  st.sampled_from(["tier", "acct", "reply.amount", "nobody.ever"]),
                  st.sampled_from(["", "standard", "a:b", "x!y", "고객"])),
    ), min_size=1, max_size=6))
    return json.dumps("".join(pieces), ensure_ascii=False)


@st.composite
def condition(draw: st.DrawFn) -> str:
    """A branch case's ``when`` as a YAML flow mapping."""
    kind = draw(st.sampled_from(["open", "closed", "equals", "is_set", "caller", "language",
                                 "one_of"]))
    if kind in ("open", "closed"):
        return f"{{{kind}: {draw(st.sampled_from(['c0', 'c1']))}}}"
    if kind == "equals":
        return f'{{variable: segment, equals: "{draw(st.sampled_from(WORDS))}"}}'
    if kind == "one_of":
        return f"{{variable: language, one_of: {json.dumps(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)), ensure_ascii=False)}}}"  # noqa: E501
    if kind == "is_set":
        return f"{{variable: segment, is_set: {draw(st.sampled_from(['true', 'false']))}}}"
    if kind == "caller":
        return f'{{caller: "{draw(st.sampled_from(["^[+]1555", "^$", "9$", "."]))}"}}'
    return f"{{language: {draw(st.sampled_from(['en', 'es', 'ko']))}}}"


TARGETS = ["menu", "ask", "say", "fetch", "bye"]


@st.composite
def flow_file(draw: st.DrawFn) -> str:
    """A whole valid flows file."""
    cases = draw(st.lists(st.tuples(condition(), st.sampled_from(TARGETS)), min_size=1,
                          max_size=4))
    builtins = ("caller", "language", "dnid", "call_id")
    end = draw(st.sampled_from(["{type: hangup}", "{type: hangup, outcome: self_service}",
                                "{type: queue, queue: operator}",
                                "{type: queue, queue: operator, callback: {when_wait_over: 30}}",
                                "{type: voicemail, prompt: Leave a message.}",
                                "{type: survey, prompt: Rate us.}"]))
    cases_yaml = "".join(f"          - {{when: {c}, next: {t}}}\n" for c, t in cases)
    return f"""\
version: 1
settings:
  languages: [en, es, ko]
  max_attempts: {draw(st.integers(1, 3))}
queues:
  operator: {{description: Front desk}}
calendars:
  c0: {draw(calendar())}
  c1: {draw(calendar())}
flows:
  main:
    start: hours
    inputs: [segment]   # the dialplan may seed it (possibly empty)
    nodes:
      hours:
        type: branch
        cases:
{cases_yaml}        else: {draw(st.sampled_from(TARGETS))}
      menu:
        type: menu
        prompt: {draw(template(builtins))}
        options:
          - {{key: 1, say: [gold], set: {{tier: "{draw(st.sampled_from(WORDS))}"}}, next: say}}
          - {{key: 2, say: [account], next: ask}}
          - {{key: 3, say: [balance], next: fetch}}
      ask:
        type: collect
        prompt: {draw(template(builtins))}
        variable: acct
        max_digits: 6
        confirm: {draw(st.sampled_from(["true", "false"]))}
        next: fetch
        on_failure: say
      fetch:
        type: lookup
        url: "http://127.0.0.1:9/balance/{{acct|none}}?who={{caller}}"
        result: reply
        next: told
        on_error: say
      told:
        type: play
        prompt: {draw(template((*builtins, "reply", "reply.amount")))}
        next: bye
      say:
        type: play
        prompt: {draw(template(builtins))}
        next: bye
      bye: {end}
"""


def answer(pending: fx.Blocking) -> st.SearchStrategy[ev.Event]:
    """What a random caller, Asterisk or a backend might answer to *pending*."""
    hang = st.just(ev.Hangup())
    if isinstance(pending, fx.Play):
        return st.one_of(st.just(ev.PlaybackDone()), st.builds(ev.Digits, st.text("0123456789*#",
                                                                             max_size=3)), hang)
    if isinstance(pending, fx.Gather):
        options: list[st.SearchStrategy[ev.Event]] = [st.just(ev.NoInput()), hang]
        if pending.digits is not None:
            options.append(st.builds(ev.Digits, st.text("0123456789*#", max_size=8),
                                     st.sampled_from([None, "#"])))
        if pending.speech is not None:
            options.append(st.builds(ev.SpeechHeard, st.sampled_from(["gold", "balance", "uh"]),
                                     st.floats(0, 1)))
        return st.one_of(*options)
    if isinstance(pending, fx.Lookup):
        reply = st.one_of(st.none(), st.fixed_dictionaries({"amount": st.sampled_from(
            ["42.50", 7, None, True, "고객"])}), st.just({"other": [1, 2]}))
        return st.one_of(st.builds(ev.LookupDone, st.sampled_from([200, 404, 500]), reply),
                         st.builds(ev.LookupFailed, st.sampled_from(["timeout", "refused"])), hang)
    if isinstance(pending, fx.Record):
        return st.one_of(st.builds(ev.Recorded, st.just("vm/x.wav"), st.floats(0, 60)), hang)
    assert isinstance(pending, fx.CheckQueue), pending
    return st.builds(ev.QueueStatus, st.just(pending.queue), st.integers(0, 3), st.integers(0, 3),
                     st.integers(0, 9), st.floats(0, 600), st.floats(0, 600))


WHEN = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31),
                    timezones=st.just(dt.UTC))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=flow_file(), when=WHEN, data=st.data(),
       caller=st.sampled_from(["+15550100", "", "anonymous", "+821012345678"]),
       language=st.sampled_from([None, "en", "es", "ko"]))
def test_random_valid_flows_and_callers_never_end_in_error(
        text: str, when: dt.datetime, data: st.DataObject, caller: str,
        language: str | None) -> None:
    flowset = parse_flowset(text)  # the generated file is valid: it must load
    call = Call(flowset, "main", call_id="p", caller=caller, language=language)
    call.start(when)
    for _turn in range(40):
        if call.finished:
            break
        pending = call.pending
        assert pending is not None
        call.receive(data.draw(answer(pending)), when)
    if call.outcome is not None:
        assert call.outcome.kind != "error", (call.outcome, call.record.timeline[-3:])
    assert all(entry.kind != "error" for entry in call.record.timeline)
