"""RateLimitedLog: one line per kind and interval, the rest counted and reported later."""

from __future__ import annotations

import logging

import pytest

from ivr.ratelimit import RateLimitedLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_is_one_line_then_a_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    quiet = RateLimitedLog(logging.getLogger("test.ratelimit"), interval_s=60, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.ratelimit"):
        written = [quiet.warning("allow", "refused %s", f"10.0.0.{n}") for n in range(2310)]
        clock.now += 59.9
        assert not quiet.warning("allow", "refused %s", "10.0.0.250")
        clock.now += 0.2
        assert quiet.warning("allow", "refused %s", "10.0.0.251")
    assert written == [True] + [False] * 2309
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "refused 10.0.0.0",
        "refused 10.0.0.251 (2310 more like this in the last 60 s not logged)",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert quiet.counts == {"allow": 2312}


def test_kinds_are_limited_separately(caplog: pytest.LogCaptureFixture) -> None:
    quiet = RateLimitedLog(logging.getLogger("test.ratelimit"), clock=Clock())
    with caplog.at_level(logging.INFO, logger="test.ratelimit"):
        for _ in range(3):
            quiet.warning("allow", "a")
            quiet.log(logging.INFO, "max_sessions", "b")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "a"), ("INFO", "b"),
    ]
    assert quiet.counts == {"allow": 3, "max_sessions": 3}
