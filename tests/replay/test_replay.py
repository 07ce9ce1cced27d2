"""Replaying engine-made calls through the shipped flows and through changed copies."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset
from ivr.replay.inputs import read
from ivr.replay.report import replay_all, report_text
from tests.replay.calls import changed, records, shipped, swap_3_and_4


def edited_common(tmp: Path, old: str, new: str) -> FlowSet:
    """The shipped flows with *old* replaced by *new* in the included flows/common.yaml."""
    changed(tmp, lambda text: text)
    common = tmp / "flows" / "common.yaml"
    text = common.read_text(encoding="utf-8")
    assert old in text
    common.write_text(text.replace(old, new), encoding="utf-8")
    return load_flowset(tmp / "flows.yaml")


@pytest.fixture(scope="module")
def recorded() -> list[CallRecord]:
    return records(shipped(), copies=3)


def test_an_unchanged_flow_reports_no_change_on_any_call(recorded: list[CallRecord]) -> None:
    report = replay_all(shipped(), recorded)
    assert report.by_status == {"same": len(recorded)}
    assert [r.new_path for r in report.results] == [tuple(r.path) for r in recorded]


def test_swapping_keys_3_and_4_changes_exactly_the_calls_that_pressed_them(
        recorded: list[CallRecord], tmp_path: Path) -> None:
    report = replay_all(changed(tmp_path, swap_3_and_4), recorded)
    moved = {r.call_id.rsplit("-", 1)[0]: r for r in report.results if r.status != "same"}
    # Speech still says "billing": only the keyed 3s and 4s move.
    assert set(moved) == {"balance", "pin_then_hangup", "billing", "spanish_billing"}
    assert moved["balance"].new is not None
    assert moved["balance"].new.label == "queue billing"
    assert moved["pin_then_hangup"].new is not None
    assert moved["pin_then_hangup"].new.label == "queue billing"
    for name in ("billing", "spanish_billing"):
        # Key 4 now asks for an account number this caller never typed: said, not guessed.
        assert moved[name].status == "not_replayable"
        assert moved[name].stopped_at == "ask_account"
        assert "never gave" in (moved[name].reason or "")
    assert {r.diverged_at for r in moved.values()} == {"main_menu"}
    assert report.divergences == {"main_menu": 4 * 3}
    assert report.outcomes[("self_service", "queue billing")] == 3


def test_a_change_after_the_pin_replays_with_a_stand_in_and_the_recorded_reply(
        recorded: list[CallRecord], tmp_path: Path) -> None:
    flowset = edited_common(tmp_path, "next: anything_else", "next: goodbye")
    report = replay_all(flowset, recorded)
    balance = next(r for r in report.results if r.call_id == "balance-0")
    assert balance.status == "rerouted"
    assert balance.new_path[-3:] == ("check_found", "say_balance", "goodbye")
    assert any("stand-in" in note for note in balance.notes)
    assert any("recorded reply" in note for note in balance.notes)
    assert sum(r.status != "same" for r in report.results) == 3


def test_a_pin_that_would_land_on_an_ordinary_node_is_not_replayable(
        recorded: list[CallRecord], tmp_path: Path) -> None:
    flowset = edited_common(tmp_path, "        sensitive: true\n", "")
    balance = next(r for r in replay_all(flowset, recorded).results if r.call_id == "balance-1")
    assert balance.status == "not_replayable"
    assert balance.stopped_at == "ask_pin"
    assert "sensitive entry (4 digits)" in (balance.reason or "")


def test_a_lookup_that_asks_another_url_is_not_replayed_with_the_old_reply(
        recorded: list[CallRecord], tmp_path: Path) -> None:
    report = replay_all(edited_common(tmp_path, "/api/balance", "/api/v2/balance"), recorded)
    balance = next(r for r in report.results if r.call_id == "balance-2")
    assert balance.status == "not_replayable"
    assert balance.stopped_at == "fetch_balance"
    assert "/api/v2/balance" in (balance.reason or "")


def test_the_report_holds_nothing_sensitive(recorded: list[CallRecord], tmp_path: Path) -> None:
    report = replay_all(changed(tmp_path, swap_3_and_4), recorded)
    text = report_text(report) + json.dumps(report.to_json())
    for secret in ("1234", "0000", "+1555"):
        assert secret not in text


def test_inputs_read_back_confirmations_and_hidden_pins(recorded: list[CallRecord]) -> None:
    balance = next(r for r in recorded if r.call_id == "balance-0")
    rec = read(balance, shipped().settings.keys)
    pins = [i for i in rec.inputs if i.sensitive_length is not None]
    assert len(pins) == 1
    assert pins[0].accepted
    assert pins[0].event is None
    assert len(rec.lookups) == 1
    assert rec.lookups[0].problem is None


def test_thousands_of_calls_through_an_unchanged_flow_report_zero_changes() -> None:
    many = records(shipped(), copies=300)
    report = replay_all(shipped(), many)
    assert len(report.results) == 3300
    assert report.by_status == {"same": 3300}


def test_a_call_that_ended_in_error_without_a_node_is_labelled_plainly(
        recorded: list[CallRecord]) -> None:
    failed = dataclasses.replace(recorded[0], outcome=OutcomeKind.ERROR, outcome_node=None,
                                 queue=None)
    (result,) = replay_all(shipped(), [failed]).results
    assert result.old.label == "error"
    assert "error at None" not in report_text(replay_all(shipped(), [failed]))
