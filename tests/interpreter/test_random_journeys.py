"""Hundreds of random callers, each through ``ivr simulate`` and through the FastAGI service.

The same caller (keys, partial entries, silences, running out of things to say) on the
simulator's phone and on the in-repo fake Asterisk (:class:`AgiPhone`, real sockets)
must leave the same call record: path, outcome, timeline kinds, variables, lookups.
Over the shipped ``flows.yaml`` (open and closed hours) and the FastAGI test flows.
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
from ivr.interpreter import agi_transport
from tests.agi.helpers import FLOWS as SESSION_FLOWS
from tests.flowsets import copy_example, demo_backend
from tests.interpreter import transports
from tests.interpreter.transports import over_fastagi, over_simulator


@pytest.fixture(scope="module")
def flowsets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FlowSet]]:
    """The shipped flows, their balance lookup sent to the demo backend on a free port."""
    with demo_backend() as port:
        example = copy_example(tmp_path_factory.mktemp("flows"), backend_port=port)
        yield {"example": load_flowset(example), "session": load_flowset(SESSION_FLOWS)}

JOURNEYS = [("example", "main"), ("example", "csat"), ("session", "main")]
#: Mid-morning on a weekday (open), a Sunday night (closed), local time of the example.
TIMES = [dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
         dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))]

keys = st.text(alphabet="0123456789*#", min_size=1, max_size=7)
#: What callers of these flows typically enter (menu keys, the demo account and PIN), so
#: journeys reach the lookups, the readback, the survey and the queues, not only retries.
typical = st.sampled_from(["1", "2", "3", "4", "0", "*", "#", "9", "12", "123456", "4321#",
                           "1234", "timeout"])
word = st.one_of(typical, typical, keys)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(journey=st.sampled_from(JOURNEYS), at=st.sampled_from(TIMES),
       words=st.lists(word, max_size=8))
def test_the_simulator_and_fastagi_leave_the_same_record(
    flowsets: dict[str, FlowSet], journey: tuple[str, str], at: dt.datetime, words: list[str]
) -> None:
    flowset, flow = flowsets[journey[0]], journey[1]

    async def both() -> tuple[transports.Journey, transports.Journey]:
        return (await over_simulator(flowset, flow, words, at),
                await over_fastagi(flowset, flow, words, at))

    simulated, live = asyncio.run(both())
    event(f"outcome {live.outcome}")
    event(f"{len(live.path)} nodes")
    event(f"{len(live.lookups)} lookups")
    assert simulated == live


def test_a_lookup_that_outlasts_its_grace_leaves_the_same_record(
    flowsets: dict[str, FlowSet], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a loaded machine the balance lookup takes longer than the grace, and the line keeps
    # the caller's keys in short WAIT FOR DIGITs meanwhile: those are no question, and the
    # caller's next answer ("timeout" at the next menu) must not be spent on one.
    monkeypatch.setattr(agi_transport, "HOLD_GRACE_MS", 0)
    words = ["1", "3", "123456", "1", "4321#", "timeout", "2"]

    async def both() -> tuple[transports.Journey, transports.Journey]:
        return (await over_simulator(flowsets["example"], "main", words, TIMES[0]),
                await over_fastagi(flowsets["example"], "main", words, TIMES[0]))

    simulated, live = asyncio.run(both())
    assert "fetch_balance" in live.path
    assert simulated == live
