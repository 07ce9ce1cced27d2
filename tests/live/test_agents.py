"""Agents' rings from AMI queue events (field names as Asterisk 22's app_queue sends them)."""

from __future__ import annotations

import datetime as dt

from ivr.live.agents import AgentRings, ring_from
from ivr.live.state import merge, payload

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
AGENT = "Local/4200@ivr-test-agent/n"


def _event(kind: str, uniqueid: str = "1700000000.42", **more: str) -> dict[str, str]:
    # Lower-cased keys, as ivr.ami.messages.fields_from hands every event on.
    return {"event": kind, "channel": "PJSIP/trunk-00000001", "uniqueid": uniqueid,
            "linkedid": uniqueid, "calleridnum": "+15550101", "queue": "support",
            "interface": AGENT, "membername": "Agent Bob",
            "destchannel": "Local/4200@ivr-test-agent-00000002;1", **more}


def test_a_ring_is_answered_then_ends_with_the_call() -> None:
    rings = AgentRings()
    assert rings.apply(_event("AgentCalled"), NOW)
    (ring,) = rings.rings()
    assert (ring.interface, ring.member, ring.queue, ring.caller, ring.state) == (
        AGENT, "Agent Bob", "support", "+15550101", "ringing")
    assert ring.call_id == "1700000000.42"  # the caller's channel ran the IVR: its Uniqueid
    assert ring.since == NOW.isoformat()
    assert not rings.apply(_event("AgentConnect", uniqueid="other.1", holdtime="7"), NOW)
    assert rings.apply(_event("AgentConnect", holdtime="7", ringtime="2"), NOW)
    assert rings.rings()[0].state == "connected"
    assert rings.rings()[0].hold_s == 7.0
    assert rings.apply(_event("AgentComplete", talktime="30", reason="agent"), NOW)
    assert rings.rings() == []


def test_a_ring_nobody_answers_or_a_caller_who_hangs_up_leaves_no_ring() -> None:
    rings = AgentRings()
    rings.apply(_event("AgentCalled"), NOW)
    assert rings.apply(_event("AgentRingNoAnswer", ringtime="15"), NOW)
    assert rings.rings() == []
    rings.apply(_event("AgentCalled"), NOW)
    assert not rings.apply({"event": "Hangup", "uniqueid": "someone.else"}, NOW)
    assert rings.apply({"event": "QueueCallerAbandon", "uniqueid": "1700000000.42",
                        "queue": "support"}, NOW)
    assert rings.rings() == []
    assert not rings.apply({"event": "AgentCalled", "uniqueid": "x"}, NOW)  # no interface


def test_the_service_resolves_the_call_id_it_handed_over() -> None:
    rings = AgentRings({"leg.7": "original-call"}.get)
    rings.apply(_event("AgentCalled", uniqueid="leg.7"), NOW)
    assert rings.rings()[0].call_id == "original-call"


def test_the_wallboard_merge_keeps_each_interfaces_latest_ring() -> None:
    early, late = AgentRings(), AgentRings()
    early.apply(_event("AgentCalled", uniqueid="a.1"), NOW)
    late.apply(_event("AgentCalled", uniqueid="b.2"), NOW + dt.timedelta(seconds=5))
    rows = [("i1", payload([], {}, late.rings()), NOW), ("i2", payload([], {}, early.rings()), NOW)]
    board = merge(rows, NOW + dt.timedelta(seconds=1))
    assert board.agents[AGENT].uniqueid == "b.2"
    assert ring_from({"interface": AGENT}) is None  # a payload that is not a ring is skipped
