"""What would fail during a call fails at load time instead, with words ops staff understand.

Calendars (time zones, clock times, ranges, dates), YAML mistakes (indentation,
tabs, characters that need quotes) and files mangled at random: the loader
answers every one with FILE:LINE:COL problems, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.flows.checks.calendar import timezone_problem
from ivr.flows.hours import RangeError, is_open, parse_range
from ivr.flows.loader import load_flowset, parse_flowset
from ivr.flows.problems import FlowErrors, Problem
from ivr.flows.yamlread import yaml_hint
from tests.conftest import ROOT

BAD = Path(__file__).parent / "bad"


def problems(text: str) -> list[Problem]:
    """What loading *text* reports (nothing when it loads)."""
    try:
        parse_flowset(text, "f.yaml")
    except FlowErrors as exc:
        return list(exc.problems)
    return []


def calendar(weekly: str, timezone: str = "Asia/Seoul", holidays: str = "[]") -> str:
    """A file whose one flow asks whether the 'clinic' calendar is open."""
    return f"""\
version: 1
queues: {{operator: {{description: Desk}}}}
calendars:
  clinic:
    timezone: {timezone}
    weekly: {weekly}
    holidays: {holidays}
flows:
  main:
    start: hours
    nodes:
      hours:
        type: branch
        cases: [{{when: {{open: clinic}}, next: bye}}]
        else: bye
      bye: {{type: hangup}}
"""


@pytest.mark.parametrize(("name", "hint"), [
    ("America/New-York", "did you mean 'America/New_York'?"),
    ("america/new_york", "did you mean 'America/New_York'?"),
    ("Asia/Seol", "did you mean 'Asia/Seoul'?"),
    ("Mars/Olympus", "use an IANA name like 'America/New_York' or 'Asia/Seoul'"),
    ("../etc/passwd", "use an IANA name like 'America/New_York' or 'Asia/Seoul'"),
])
def test_unknown_time_zones_get_the_closest_real_name(name: str, hint: str) -> None:
    assert timezone_problem(name) == (f"unknown time zone {name!r}", hint)
    assert timezone_problem("Asia/Seoul") is None


@pytest.mark.parametrize(("text", "message"), [
    ("18:75-19:00", "18:75 in '18:75-19:00' is not a clock time"),
    ("08:00-25:00", "25:00 in '08:00-25:00' is not a clock time"),
    ("08:00-02:00", "'08:00-02:00' ends before it starts"),
    ("09:00-09:00", "'09:00-09:00' is empty (it ends when it starts)"),
    ("08:00-18:00 overnight", "'08:00-18:00 overnight' is marked overnight but ends after"),
    ("22:00-02:00 overnite", "unknown word 'overnite' after the range"),
    ("9am-5pm", "'9am-5pm' is not an opening range"),
    ("24:00-24:00", "'24:00-24:00' starts at 24:00"),
])
def test_impossible_ranges_are_refused_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(RangeError) as caught:
        parse_range(text)
    assert str(caught.value).startswith(message)
    assert caught.value.hint


def test_a_reversed_range_says_how_to_mean_it() -> None:
    with pytest.raises(RangeError) as caught:
        parse_range("20:00-02:00")
    assert caught.value.hint == "to stay open past midnight on purpose write " \
                                "'20:00-02:00 overnight'"


def test_an_overnight_range_is_open_after_midnight_and_a_late_one_is_not() -> None:
    flowset = parse_flowset(calendar('{fri: "22:00-02:00 overnight", sat: "08:00-24:00"}'))
    clinic = flowset.document.calendars["clinic"]
    seoul = dt.timezone(dt.timedelta(hours=9))
    friday = dt.datetime(2026, 11, 20, tzinfo=seoul)
    assert is_open(clinic, friday.replace(hour=23))
    assert is_open(clinic, friday + dt.timedelta(days=1, minutes=30))  # Sat 00:30
    assert not is_open(clinic, friday + dt.timedelta(days=1, hours=3))  # Sat 03:00
    assert is_open(clinic, friday + dt.timedelta(days=1, hours=23, minutes=59))
    assert not is_open(clinic, friday.replace(hour=21))


def test_calendar_mistakes_are_reported_where_written() -> None:
    found = problems(calendar('{mon-fir: ["08:00-12:00", "13:00-18:75"]}',
                              holidays='[{date: 2026-12-24, hours: ["10:00-09:00"]}]'))
    assert [(p.line, p.col, p.message) for p in found] == [
        (6, 14, "'mon-fir' is not a day or day range"),
        (6, 39, "18:75 in '13:00-18:75' is not a clock time"),
        (7, 43, "'10:00-09:00' ends before it starts"),
    ]
    assert "did you mean 'fri'?" in (found[0].hint or "")


@pytest.mark.parametrize("holiday", ["2026-02-30", "2026-13-01", "2025-02-29"])
def test_impossible_dates_are_problems_not_tracebacks(holiday: str) -> None:
    found = problems(calendar('{mon: "08:00-18:00"}', holidays=f"[{holiday}]"))
    assert [(p.line, p.col) for p in found] == [(7, 16)]
    assert found[0].message.startswith(f"{holiday} is not a calendar date")


@pytest.mark.parametrize(("sample", "word"), [
    ("yaml_indentation", "indentation"),
    ("yaml_tab", "tab"),
    ("yaml_unquoted_star", "quote it"),
])
def test_yaml_mistakes_are_named_in_plain_words(sample: str, word: str) -> None:
    found = problems((BAD / f"{sample}.yaml").read_text(encoding="utf-8"))
    assert found, "the sample loaded"
    assert word in (found[0].hint or ""), found


@pytest.mark.parametrize(("problem", "line", "word"), [
    ("mapping values are not allowed here", "prompt: Press 1: sales", "quote it"),
    ("mapping values are not allowed here", "      nodes: x", "indentation"),
    ("found character '@' that cannot start any token", "a: @x", "quote it"),
    ("did not find expected key", "  a: 1", "indentation"),
    ("some other trouble", "\tnodes:", "tab"),
])
def test_each_kind_of_syntax_error_gets_its_hint(problem: str, line: str, word: str) -> None:
    assert word in yaml_hint(problem, None, line)


MANGLED = [
    "flows: [", "version: 1\n\x00", "? [a, b]\n: c\n", "a: !!python/object:os.system x\n",
    "flows: {main: {start: a, nodes: {a: {type: branch, cases: [{when: {}}], else: a}}}}\n",
    "<<: 5\n", "flows:\n  main:\n    start: a\n    nodes:\n      a: &x {type: hangup}\n"
    "      b: *x\n", "calendars: {c: {timezone: 5, weekly: {mon: 9}}}\n",
    "settings: {prompts: {no_inptu: {en: x}}}\n", "flows: {m: {start: a, nodes: [1, 2]}}\n",
    "- 1\n- 2\n", "1: 2\n", "calendars: {c: {timezone: UTC, weekly: {mon: [~]}}}\n",
]


@pytest.mark.parametrize("text", MANGLED)
def test_mangled_files_give_problems_not_tracebacks(text: str) -> None:
    found = problems(text)  # FlowErrors is the only exception let through
    assert all(p.file == "f.yaml" and p.line >= 1 for p in found)


SHIPPED = (ROOT / "flows.yaml").read_text(encoding="utf-8")
EDITS = st.tuples(st.integers(0, len(SHIPPED)), st.integers(0, 12),
                  st.sampled_from(["", "\t", " ", "  ", ":", "- ", "*", "&", "{", "}", "[", "]",
                                   '"', "'", "\n", "#", "yes", "25:00", "2026-02-30", "{pin}",
                                   "|", ">", "!", "%", "@", "`", "?", ",", "\x00"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EDITS, min_size=1, max_size=4))
def test_random_edits_of_the_shipped_file_never_raise_anything_but_problems(
    edits: list[tuple[int, int, str]],
) -> None:
    text = SHIPPED
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    found = problems(text)  # anything but FlowErrors fails the test
    assert all(p.line >= 1 and p.message for p in found)


def test_a_file_that_is_not_utf8_is_named_at_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "flows.yaml"
    path.write_bytes(b"version: 1\nflows: {}\n# caf\xe9 du coin\n")
    with pytest.raises(FlowErrors) as caught:
        load_flowset(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3:6: error: the file is not UTF-8 text "
        "(save it as UTF-8 (most editors offer it under 'encoding'))"]


def test_numbers_yaml_1_1_would_change_are_kept_as_written() -> None:
    flowset = parse_flowset("""\
version: 1
queues: {operator: {description: Desk}}
settings: {timeout: 05}
flows:
  main:
    start: b
    inputs: [choice]
    nodes:
      b:
        type: branch
        cases:
          - {when: {variable: choice, equals: 0123}, next: bye}
          - {when: {variable: choice, equals: 12:30}, next: bye}
          - {when: {variable: choice, equals: 1_000}, next: bye}
        else: bye
      bye: {type: hangup}
""")
    branch = flowset.flows["main"].nodes["b"]
    assert [c.when.equals for c in branch.cases] == ["0123", "12:30", "1_000"]  # type: ignore[union-attr]
    assert flowset.settings.timeout == 5.0


def test_an_include_naming_a_folder_is_reported_at_the_include(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    path = tmp_path / "flows.yaml"
    path.write_text("version: 1\ninclude: [flows]\n", encoding="utf-8")
    with pytest.raises(FlowErrors) as caught:
        load_flowset(path)
    assert [(p.line, p.col, p.message) for p in caught.value.problems] == [
        (2, 11, "included file flows is a folder, not a file")]
