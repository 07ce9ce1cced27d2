"""Merging instances' live state: calls add up, a queue's freshest view wins, stale rows go."""

from __future__ import annotations

import datetime as dt

from ivr.live.board import Thresholds, level
from ivr.live.state import merge, payload

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def test_calls_add_up_and_the_freshest_queue_view_wins() -> None:
    a = payload([("main", "main_menu"), ("main", "main_menu"), ("account", "ask_pin")],
                {"sales": {"waiting": 1, "free": 2}})
    b = payload([("main", "main_menu")], {"sales": {"waiting": 3, "free": 0}})
    board = merge([("b", b, _ago(0.2)), ("a", a, _ago(1.0))], NOW)
    assert board.instances == ["a", "b"]
    assert board.calls == {"main": {"main_menu": 3}, "account": {"ask_pin": 1}}
    assert board.in_ivr == 4
    assert board.queues == {"sales": {"waiting": 3, "free": 0}}  # b reported last


def test_an_instance_not_heard_from_is_left_out() -> None:
    a = payload([("main", "main_menu")], {})
    gone = payload([("main", "choose_language")], {"sales": {"waiting": 9}})
    board = merge([("a", a, _ago(0.1)), ("gone", gone, _ago(3.5))], NOW)
    assert board.instances == ["a"]
    assert board.calls == {"main": {"main_menu": 1}}
    assert board.queues == {}


def test_tiles_turn_amber_then_red_at_the_thresholds() -> None:
    limits = Thresholds(wait_amber_s=60, wait_red_s=180, waiting_amber=3, waiting_red=6)
    assert level({"waiting": 2, "longest_s": 59.9}, limits) == "ok"
    assert level({"waiting": 3, "longest_s": 0}, limits) == "amber"
    assert level({"waiting": 1, "longest_s": 60}, limits) == "amber"
    assert level({"waiting": 6, "longest_s": 0}, limits) == "red"
    assert level({"waiting": 1, "longest_s": 180}, limits) == "red"
