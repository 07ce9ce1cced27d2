"""Replay and lookups: the recorded reply is used only for the request the call sent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ivr.calls.record import CallRecord
from ivr.flows.events import Digits, Event
from ivr.replay.drive import CallResult
from ivr.replay.report import replay_all
from tests.replay.calls import SCRIPTS, make_call, records, shipped
from tests.replay.test_replay import edited_common

BODY = 'body: {account: "{account}", pin: "{pin}"}'


@pytest.fixture(scope="module")
def recorded() -> list[CallRecord]:
    return records(shipped(), copies=2)


def _balance(results: list[CallResult], name: str = "balance-0") -> CallResult:
    return next(r for r in results if r.call_id == name)


def _swap(event: Event, old: str, new: str) -> Event:
    """*event* with keys *old* replaced by *new*."""
    if isinstance(event, Digits) and event.digits == old:
        return Digits(new, event.terminated_by)
    return event


def _lookup_entry(record: CallRecord) -> dict[str, object]:
    return next(e.data for e in record.timeline if e.kind == "lookup" and "url" in e.data)


def test_the_timeline_keeps_masked_digests_of_the_request() -> None:
    flows = shipped()
    start, script = SCRIPTS["balance"]
    one = make_call(flows, "a", "+15550001", start, script)
    other_pin = [_swap(e, "1234", "9876") for e in script]
    two = make_call(flows, "b", "+15550002", start, other_pin)
    request = _lookup_entry(one)["request"]
    assert isinstance(request, dict)
    assert set(request) == {"url", "headers", "body"}
    # Only the PIN differs (it is masked): the same request as far as the record can tell.
    assert _lookup_entry(two)["request"] == request
    other_account = [_swap(e, "123456", "654321") for e in script]
    three = make_call(flows, "c", "+15550003", start, other_account)
    assert _lookup_entry(three)["request"]["body"] != request["body"]  # type: ignore[index]
    assert "9876" not in str(two.timeline)


@pytest.mark.parametrize(("old", "new", "part"), [
    (BODY, 'body: {account: "{account}", pin: "{pin}", channel: ivr}', "another body"),
    ('url: "http://127.0.0.1:8099/api/balance"',
     'url: "http://127.0.0.1:8099/api/balance?lang={language|en}"', "another URL or query"),
    ("        timeout: 3\n", "        timeout: 3\n        headers: {X-Channel: ivr}\n",
     "other headers"),
])
def test_a_lookup_whose_inputs_changed_is_not_replayed_with_the_old_reply(
        recorded: list[CallRecord], tmp_path: Path, old: str, new: str, part: str) -> None:
    report = replay_all(edited_common(tmp_path, old, new), recorded)
    for copy in range(2):
        balance = _balance(report.results, f"balance-{copy}")
        assert balance.status == "not_replayable"
        assert balance.stopped_at == "fetch_balance"
        assert f"the lookup's inputs changed: it would now send {part}" in (balance.reason or "")
    # Calls that never reached the lookup replay as before.
    others = [r for r in report.results if not r.call_id.startswith(("balance", "pin_then"))]
    assert {r.status for r in others} == {"same"}


def test_identical_inputs_replay_with_the_recorded_reply(
        recorded: list[CallRecord], tmp_path: Path) -> None:
    # A new prompt after the lookup changes nothing the request is made from.
    report = replay_all(edited_common(tmp_path, "dollars, due on", "dollars, payable on"),
                        recorded)
    balance = _balance(report.results)
    assert balance.status == "same"
    assert any("stand-in" in note for note in balance.notes)
    assert any("answered with the recorded reply" in note for note in balance.notes)


def test_a_record_without_request_digests_says_only_the_url_was_compared(
        recorded: list[CallRecord]) -> None:
    old = next(r for r in recorded if r.call_id == "balance-1")
    legacy = dataclasses.replace(old, timeline=[
        dataclasses.replace(e, data={k: v for k, v in e.data.items() if k != "request"})
        if e.kind == "lookup" else e for e in old.timeline])
    (result,) = replay_all(shipped(), [legacy]).results
    assert result.status == "same"
    assert any("keeps only its URL" in note for note in result.notes)
