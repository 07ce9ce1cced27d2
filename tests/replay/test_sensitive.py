"""Replay and sensitive entries the recorded call refused: replayed by length, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.bench.replay_calls import BALANCE, OPEN, make_call
from ivr.calls.record import CallRecord
from ivr.flows.events import Digits, Event, LookupDone
from ivr.replay.report import replay_all, report_text
from tests.replay.calls import shipped
from tests.replay.test_replay import edited_common

#: The PIN first mistyped as two digits (refused by its length), then right.
MISTYPED: list[Event] = [Digits("1"), Digits("3"), Digits("123456", "#"), Digits("1"),
                         Digits("12", "#"), Digits("1234", "#"), LookupDone(200, BALANCE),
                         Digits("2")]


@pytest.fixture(scope="module")
def mistyped() -> CallRecord:
    record = make_call(shipped(), "typo", "+15550999", OPEN, MISTYPED)
    assert record.outcome == "self_service"
    return record


def test_an_unchanged_flow_refuses_the_short_pin_again_and_ends_the_same(
        mistyped: CallRecord) -> None:
    (result,) = replay_all(shipped(), [mistyped]).results
    assert result.status == "same"
    assert result.new_path == tuple(mistyped.path)
    assert any("(2 digits) refused again by its length" in note for note in result.notes)
    assert any("(4 digits) replayed with a stand-in" in note for note in result.notes)


def test_a_node_that_would_now_accept_that_length_makes_the_call_not_replayable(
        mistyped: CallRecord, tmp_path: Path) -> None:
    flows = edited_common(tmp_path, "        min_digits: 4\n", "        min_digits: 2\n")
    report = replay_all(flows, [mistyped])
    (result,) = report.results
    assert result.status == "not_replayable"
    assert result.stopped_at == "ask_pin"
    assert "(2 digits) was refused in the recorded call" in (result.reason or "")
    assert "could accept that many digits" in (result.reason or "")
    assert "12" not in report_text(report).replace("2 digits", "")
