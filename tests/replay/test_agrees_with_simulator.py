"""Random callers through ``ivr simulate``, then their recorded calls through ``ivr replay``.

Replay runs each call through the interpreter live calls and the simulator use
(``CallSession``), answered from the record. Replayed through the unchanged flows, every
simulated call must come out *same* (the very path and ending), or *not replayable* for
one of the reasons the design gives (a sensitive entry the call refused, whose digits are
not stored). The lookups are real HTTP requests to the demo backend on a free port, so
the replay's recorded replies and request digests are exercised, not just failures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset
from ivr.replay.drive import replay
from ivr.simulate.driver import run_flow, scripted
from tests.flowsets import copy_example, demo_backend
from tests.replay.calls import CLOSED, OPEN

#: Why an unchanged flow may not replay a simulated call (the record cannot tell).
DESIGNED = ("was refused in the recorded call",)

keys = st.text(alphabet="0123456789*#", min_size=1, max_size=7)
#: What callers of the shipped flows enter: menu keys, the demo account and PINs (right and
#: wrong), yes/no, words for the speech menu, silence and hanging up.
typical = st.sampled_from(["1", "2", "3", "4", "0", "*", "#", "9", "123456#", "123456",
                           "4321#", "1111#", "12#", "1", "2", "timeout", "say:billing",
                           "say:sales@0.5", "say:yes", "narrow:say:billing", "hangup"])
word = st.one_of(typical, typical, keys)
#: A start that reaches the lookup with the right PIN, a wrong one, or a PIN given with "*".
starts = st.sampled_from([[], [], ["1", "3", "123456#", "1", "4321#"],
                          ["1", "3", "654321#", "1", "1112#"], ["1", "3", "123456#", "1"]])


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowSet]:
    """The shipped flows, their balance lookup sent to the demo backend on a free port."""
    with demo_backend() as port:
        tmp = tmp_path_factory.mktemp("flows")
        yield load_flowset(copy_example(tmp, backend_port=port))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(at=st.sampled_from([OPEN, CLOSED, OPEN + dt.timedelta(days=5)]),
       start=starts, more=st.lists(word, max_size=10))
def test_a_simulated_call_replays_through_the_same_flows_the_same_way(
        flows: FlowSet, at: dt.datetime, start: list[str], more: list[str]) -> None:
    words = start + more
    sim = asyncio.run(run_flow(flows, "main", scripted(words), at=at, caller="+15550100",
                               dnid="100", call_id="sim.1"))
    record = sim.call.record
    result = replay(flows, record)
    event(f"{result.status}: {record.outcome}")
    event(result.reason or "replayed")
    event(f"{sum(e.kind == 'lookup' for e in record.timeline)} lookups")
    if result.status == "not_replayable":
        assert any(reason in (result.reason or "") for reason in DESIGNED), result
        return
    assert result.status == "same", (words, result)
    assert result.new_path == tuple(record.path)
    assert result.new is not None
    assert result.new.label == result.old.label
