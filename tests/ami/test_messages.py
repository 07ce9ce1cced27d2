"""AMI action encoding (no header injection) and parsing of queue messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.ami.messages import (
    MAX_VALUE_CHARS,
    action,
    entry_from,
    fields_from,
    member_from,
    params_from,
    safe_value,
    user_event,
)


@given(st.text(max_size=2000))
def test_safe_value_is_always_one_short_line(value: str) -> None:
    out = safe_value(value)
    assert "\r" not in out
    assert "\n" not in out
    assert "\x00" not in out
    assert len(out) <= MAX_VALUE_CHARS


def test_user_event_cannot_inject_headers_or_actions() -> None:
    event = user_event(
        "IvrHandoff", {"Transcript": "hi\r\n\r\nAction: Originate\r\nChannel: x", "Queue": "sales"}
    )
    assert event["Action"] == "UserEvent"
    assert event["UserEvent"] == "IvrHandoff"
    assert event["Transcript"] == "hi Action: Originate Channel: x"
    assert set(event) == {"Action", "UserEvent", "Transcript", "Queue"}


@pytest.mark.parametrize("bad", ["Bad Name", "X\r\nY", "", "1abc"])
def test_header_names_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="not an AMI header name"):
        action("Ping", **{bad: "x"})
    with pytest.raises(ValueError, match="not an AMI header name"):
        user_event(bad, {})


def test_fields_from_lowercases_and_takes_last_repeated_value() -> None:
    assert fields_from({"Event": "X", "Variable": ["a=1", "b=2"], "Count": 3}) == {
        "event": "X",
        "variable": "b=2",
        "count": "3",
    }


def test_member_from_status_reply_and_events() -> None:
    reply = member_from(
        {"event": "QueueMember", "queue": "sales", "name": "Alice", "location": "Local/1@a",
         "status": "1", "paused": "0", "incall": "0"}
    )
    assert (reply.interface, reply.name, reply.available) == ("Local/1@a", "Alice", True)
    event = member_from(
        {"event": "QueueMemberStatus", "queue": "sales", "membername": "Bob",
         "interface": "PJSIP/bob", "status": "2", "paused": "0", "incall": "1"}
    )
    assert (event.interface, event.name, event.available) == ("PJSIP/bob", "Bob", False)
    paused = member_from({"interface": "PJSIP/c", "status": "1", "paused": "1"})
    assert not paused.available
    unavailable = member_from({"interface": "PJSIP/d", "status": "5"})
    assert not unavailable.available


def test_params_and_entry() -> None:
    params = params_from({"queue": "sales", "calls": "2", "holdtime": "40", "abandoned": "x"})
    assert (params.calls, params.holdtime_s, params.abandoned) == (2, 40, 0)
    entry = entry_from({"queue": "sales", "uniqueid": "1.2", "position": "1", "wait": "12"})
    assert (entry.uniqueid, entry.position, entry.wait_s) == ("1.2", 1, 12)
