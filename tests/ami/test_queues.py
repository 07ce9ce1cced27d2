"""Live queue state and after-IVR tracking from AMI messages."""

from __future__ import annotations

from ivr.ami.queues import AfterIvr, QueueBoard
from ivr.flows.events import QueueStatus

SNAPSHOT = [
    {"response": "Success", "eventlist": "start"},
    {"event": "QueueParams", "queue": "sales", "calls": "1", "holdtime": "30"},
    {"event": "QueueMember", "queue": "sales", "name": "A", "location": "Local/1@x", "status": "1"},
    {"event": "QueueMember", "queue": "sales", "name": "B", "location": "Local/2@x",
     "status": "2", "incall": "1"},
    {"event": "QueueEntry", "queue": "sales", "uniqueid": "9.1", "position": "1", "wait": "17"},
    {"event": "QueueParams", "queue": "support", "calls": "0", "holdtime": "0"},
    {"event": "QueueStatusComplete"},
]


def test_unknown_until_first_snapshot_and_after_forget() -> None:
    board = QueueBoard()
    assert board.status("sales") == QueueStatus(queue="sales")
    board.load_snapshot(SNAPSHOT)
    assert board.status("sales").logged_in == 2
    board.forget()
    assert board.status("sales") == QueueStatus(queue="sales")


def test_snapshot_figures() -> None:
    board = QueueBoard(clock=lambda: 1000.0)  # no time passes: the wait is as reported
    board.load_snapshot(SNAPSHOT)
    assert board.queues() == ["sales", "support"]
    status = board.status("sales")
    assert (status.logged_in, status.available, status.callers) == (2, 1, 1)
    assert status.longest_hold_s == 17.0
    # One free agent, one caller already waiting: the next caller waits about one hold time.
    assert status.estimated_wait_s == 30.0
    empty = board.status("support")
    assert (empty.logged_in, empty.available, empty.callers) == (0, 0, 0)
    assert empty.estimated_wait_s is not None
    assert empty.estimated_wait_s > 0


def test_events_keep_state_current() -> None:
    board = QueueBoard()
    board.load_snapshot(SNAPSHOT)
    board.apply({"event": "QueueCallerLeave", "queue": "sales", "uniqueid": "9.1"})
    assert board.status("sales").callers == 0
    assert board.status("sales").estimated_wait_s == 0.0
    board.apply({"event": "QueueMemberRemoved", "queue": "sales", "interface": "Local/1@x"})
    assert board.status("sales").available == 0
    board.apply({"event": "QueueMemberAdded", "queue": "support", "interface": "PJSIP/c",
                 "membername": "C", "status": "1", "paused": "0"})
    assert board.status("support").available == 1
    board.apply({"event": "QueueMemberPause", "queue": "support", "interface": "PJSIP/c",
                 "membername": "C", "status": "1", "paused": "1"})
    assert board.status("support").available == 0
    board.apply({"event": "QueueCallerJoin", "queue": "support", "uniqueid": "5.5",
                 "position": "1"})
    assert board.status("support").callers == 1
    board.apply({"event": "QueueCallerAbandon", "queue": "support", "uniqueid": "5.5"})
    assert board.status("support").callers == 0
    board.apply({"event": "Newchannel", "uniqueid": "7.7"})
    assert [m.name for m in board.members("support")] == ["C"]


def test_after_ivr_answered_abandoned_and_unrelated() -> None:
    tracker = AfterIvr()
    tracker.watch("1.1")
    tracker.watch("2.2", "call-2")
    tracker.watch("3.3")
    assert tracker.apply({"event": "AgentConnect", "uniqueid": "4.4"}) is None
    answered = tracker.apply({"event": "AgentConnect", "uniqueid": "1.1", "membername": "Alice",
                              "interface": "Local/1@x", "holdtime": "7"})
    assert answered is not None
    assert (answered.call_id, answered.status, answered.agent, answered.wait_s) == (
        "1.1", "answered", "Alice", 7.0)
    abandoned = tracker.apply({"event": "QueueCallerAbandon", "uniqueid": "2.2", "holdtime": "x"})
    assert abandoned is not None
    assert (abandoned.call_id, abandoned.status, abandoned.wait_s) == ("call-2", "abandoned", None)
    hung = tracker.apply({"event": "Hangup", "uniqueid": "3.3"})
    assert hung is not None
    assert hung.status == "abandoned"
    assert tracker.watching == 0
    assert tracker.apply({"event": "Hangup", "uniqueid": "1.1"}) is None


def test_the_longest_wait_grows_between_events() -> None:
    now = [1000.0]
    board = QueueBoard(clock=lambda: now[0])
    board.load_snapshot(SNAPSHOT)  # 9.1 had waited 17 s when the snapshot was taken
    now[0] += 10
    assert board.status("sales").longest_hold_s == 27.0
    board.apply({"event": "QueueCallerJoin", "queue": "support", "uniqueid": "5.5",
                 "position": "1"})
    now[0] += 4
    assert board.status("support").longest_hold_s == 4.0
    assert board.status("sales").longest_hold_s == 31.0
    board.apply({"event": "QueueCallerLeave", "queue": "sales", "uniqueid": "9.1"})
    assert board.status("sales").longest_hold_s == 0.0
