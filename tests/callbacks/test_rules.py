"""The pure scheduling rules: opening hours, when to dial, back-off, expiry (clock injected)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.callbacks.model import Policy
from ivr.callbacks.rules import after_attempt, backoff, decide, next_open, originate_result
from ivr.flows.events import QueueStatus
from ivr.flows.hours import is_open
from tests.callbacks.requests import OFFICE, T0, berlin, request

FREE = QueueStatus("billing", logged_in=1, available=1, callers=0, estimated_wait_s=0.0)
BUSY = QueueStatus("billing", logged_in=1, available=0, callers=3, estimated_wait_s=400.0)


def test_a_request_made_at_19_00_is_first_dialled_at_opening_the_next_morning() -> None:
    evening = request(berlin(26, 19))
    assert evening.next_attempt_at == berlin(27, 9)
    policy = Policy()
    assert decide(evening, berlin(26, 19, 1), FREE, policy) == "not_due"
    assert decide(evening, berlin(27, 8, 59), FREE, policy) == "not_due"
    assert decide(evening, berlin(27, 9), FREE, policy) == "dial"


def test_friday_evening_waits_for_saturday_and_christmas_is_skipped() -> None:
    assert next_open(OFFICE, berlin(27, 18)) == berlin(28, 10)
    assert next_open(OFFICE, berlin(28, 13)) == berlin(30, 9)  # Saturday noon -> Monday
    assert next_open(OFFICE, berlin(24, 18, month=12)) == berlin(26, 10, month=12)


def test_inside_opening_hours_a_request_is_due_at_once_and_not_before_is_respected() -> None:
    assert request(T0).next_attempt_at == T0
    later = request(T0, not_before=berlin(26, 18))  # "after 18:00" is after closing
    assert later.next_attempt_at == berlin(27, 9)
    anytime = request(berlin(26, 23), calendar=None)
    assert anytime.next_attempt_at == berlin(26, 23)


def test_the_dispatcher_waits_for_a_free_agent_or_a_short_wait() -> None:
    policy = Policy(wait_below_s=60)
    due = request(T0)
    assert decide(due, T0, BUSY, policy) == "agents_busy"
    assert decide(due, T0, FREE, policy) == "dial"
    short = QueueStatus("billing", logged_in=2, available=0, callers=1, estimated_wait_s=30.0)
    assert decide(due, T0, short, policy) == "dial"
    unknown = QueueStatus("billing")  # AMI down: never dial blind
    assert decide(due, T0, unknown, policy) == "agents_busy"
    assert decide(due, due.expires_at, FREE, policy) == "expired"
    due.status = "dialling"
    assert decide(due, T0, FREE, policy) == "not_pending"


def test_a_request_whose_calendar_closed_meanwhile_is_not_dialled() -> None:
    made = request(berlin(26, 17))
    assert decide(made, berlin(26, 17, 29), FREE, Policy()) == "dial"
    assert decide(made, berlin(26, 17, 30), FREE, Policy()) == "closed"


def test_failed_attempts_back_off_inside_opening_hours_then_fail() -> None:
    policy = Policy(max_attempts=3, backoff_s=120, backoff_factor=2)
    req = request(T0, policy=policy)
    req.attempts = 1
    first = after_attempt(req, T0, "no_answer", policy)
    assert (first.status, first.next_attempt_at) == ("pending", T0 + dt.timedelta(seconds=120))
    req.attempts = 2
    second = after_attempt(req, T0, "busy", policy)
    assert second.next_attempt_at == T0 + dt.timedelta(seconds=240)
    late = after_attempt(req, berlin(26, 17, 28), "no_answer", policy)
    assert late.next_attempt_at == berlin(27, 9)  # the back-off ends after closing time
    req.attempts = 3
    assert after_attempt(req, T0, "no_answer", policy).status == "failed"
    # "Call me later" is the callee's wish, not a failure: it keeps the promise open.
    assert after_attempt(req, T0, "later", policy).status == "pending"


def test_a_retry_past_the_expiry_lapses_the_promise() -> None:
    policy = Policy(expiry_s=300, backoff_s=600)
    req = request(T0, policy=policy)
    req.attempts = 1
    assert after_attempt(req, T0, "no_answer", policy).status == "expired"


def test_backoff_grows_and_is_capped() -> None:
    policy = Policy(backoff_s=60, backoff_factor=3, max_backoff_s=1000)
    assert [backoff(n, policy) for n in (1, 2, 3, 4)] == [60, 180, 540, 1000]


def test_originate_reasons_map_to_attempt_results() -> None:
    assert [originate_result(r) for r in ("3", "5", "8", "1", "0", None)] == [
        "no_answer", "busy", "congestion", "no_answer", "failed", "failed"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_open(OFFICE, dt.datetime(2026, 11, 26, 19))


@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31),
                    timezones=st.just(dt.UTC)))
def test_next_open_is_open_and_nothing_earlier_on_the_minute_is(moment: dt.datetime) -> None:
    found = next_open(OFFICE, moment)
    assert found is not None
    assert found >= moment
    assert is_open(OFFICE, found)
    # Every whole minute between the moment and the opening found is closed.
    probe = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    step = max(dt.timedelta(minutes=1), (found - probe) / 50)
    while probe < found:
        assert not is_open(OFFICE, probe), probe
        probe += step


def test_calendar_round_trips_through_json() -> None:
    text = json.dumps(OFFICE.model_dump(mode="json"))
    assert type(OFFICE).model_validate(json.loads(text)) == OFFICE
