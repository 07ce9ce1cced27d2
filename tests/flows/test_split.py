"""The A/B ``split`` node: sticky per caller, shares as configured, dates, the branch recorded."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from ivr.flows import nodes as n
from ivr.flows.engine import Call
from ivr.flows.graph import to_dot
from ivr.flows.loader import load_flowset
from ivr.flows.steps.split import bucket, choose

GOOD = Path(__file__).parent / "good" / "split.yaml"
IN_RANGE = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)


def _split() -> n.Split:
    node = load_flowset(GOOD).flows["main"].nodes["try_menu"]
    assert isinstance(node, n.Split)
    return node


def _run(caller: str | None, at: dt.datetime = IN_RANGE, call_id: str = "c1") -> Call:
    call = Call(load_flowset(GOOD), "main", call_id=call_id, caller=caller)
    call.start(at)
    assert call.finished
    return call


def test_the_bucket_is_a_stable_sha256_not_pythons_hash() -> None:
    # Fixed value: a change of hash function would reshuffle every running test.
    assert bucket("menu-2026-12", "+15550100") == bucket("menu-2026-12", "+15550100")
    assert bucket("a", "+15550100") != bucket("b", "+15550100")
    assert 0 <= bucket("menu-2026-12", "+15550100") < 10_000


def test_the_same_caller_always_gets_the_same_branch() -> None:
    for i in range(50):
        caller = f"+1555{i:07d}"
        first = _run(caller, call_id="a").record.path
        again = _run(caller, call_id="b", at=IN_RANGE + dt.timedelta(days=3)).record.path
        assert first == again


def test_shares_over_ten_thousand_callers_are_within_one_and_a_half_points() -> None:
    node = _split()
    counts = Counter(choose(node, f"+1{i:010d}").name for i in range(10_000))
    assert abs(counts["old"] / 100 - 70) <= 1.5, counts
    assert abs(counts["new"] / 100 - 30) <= 1.5, counts


def test_each_call_records_its_branch_on_the_timeline_and_in_a_variable() -> None:
    call = _run("+15550100")
    entries = [e for e in call.record.timeline if e.kind == "split"]
    assert len(entries) == 1
    assert entries[0].node == "try_menu"
    branch = entries[0].data["branch"]
    assert branch in ("old", "new")
    assert call.record.path[-1] == ("old_menu" if branch == "old" else "new_menu")
    assert f'"try_menu": "{branch}"' in call.record.variables["split"]


def test_outside_the_dates_every_caller_takes_else() -> None:
    before = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    # 2027-01-01 03:00 UTC is still 31 December in New York: inside the range.
    late_evening = dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)
    after = dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)
    outside = Counter(_run(f"+1555{i:07d}", at=before).record.path[-1] for i in range(40))
    assert outside == {"old_menu": 40}
    assert Counter(_run(f"+1555{i:07d}", at=after).record.path[-1] for i in range(40)) == outside
    inside = Counter(_run(f"+1555{i:07d}", at=late_evening).record.path[-1] for i in range(40))
    assert inside["new_menu"] > 0
    entry = next(e for e in _run("+15550100", at=before).record.timeline if e.kind == "split")
    assert entry.data == {"branch": None, "in_range": False, "target": "old_menu"}


def test_a_caller_without_a_number_is_placed_by_the_call() -> None:
    placed = {_run(None, call_id=f"call-{i}").record.path[-1] for i in range(40)}
    assert placed == {"old_menu", "new_menu"}
    assert _run(None, call_id="x").record.path == _run(None, call_id="x").record.path


def test_the_diagram_draws_each_branch_with_its_share() -> None:
    dot = to_dot(load_flowset(GOOD), "main")
    assert "old · 70%" in dot
    assert "new · 30%" in dot
    assert "outside dates" in dot
    assert "A/B split" in dot


def test_ten_thousand_callers_through_the_engine_keep_shares_and_branches() -> None:
    """Callers as the engine places them (not only the hash): shares, and a second call each."""
    flows = load_flowset(GOOD)

    def placed(caller: str, call_id: str, at: dt.datetime) -> str:
        call = Call(flows, "main", call_id=call_id, caller=caller)
        call.start(at)
        (entry,) = [e for e in call.record.timeline if e.kind == "split"]
        return str(entry.data["branch"])

    callers = [f"+4420{i:07d}" for i in range(10_000)]
    first = [placed(c, f"a{i}", IN_RANGE) for i, c in enumerate(callers)]
    shares = Counter(first)
    assert abs(shares["old"] / 100 - 70) <= 1.5, shares
    assert abs(shares["new"] / 100 - 30) <= 1.5, shares
    later = IN_RANGE + dt.timedelta(days=5, hours=7)
    assert [placed(c, f"b{i}", later) for i, c in enumerate(callers)] == first
