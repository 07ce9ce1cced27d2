"""A sample of the random-journey differential against the real Asterisk 22.

Local/ calls press keys on a real channel; each stored record must be the one ``ivr
simulate`` gives for the same keys (path, outcome, timeline kinds up to the hand-off,
variables). The hundreds of random journeys run against the in-repo fake Asterisk
(tests/interpreter/test_random_journeys.py); these few check that fake against the real one.
"""

from __future__ import annotations

import dataclasses

import pytest

from ivr.flows.loader import load_flowset
from tests.agi.live import Running, originate
from tests.asterisk.fixtures import AmiObserver, eventually
from tests.interpreter.transports import Journey, simulate

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def _until_handoff(journey: Journey) -> Journey:
    # What AMI sees after the hand-off (after_ivr) is the queue's, not the IVR's.
    return dataclasses.replace(journey, kinds=tuple(k for k in journey.kinds if k != "after_ivr"))


@pytest.mark.parametrize("keys", ["1", "2"])
async def test_a_real_call_leaves_the_record_the_simulator_predicts(
    running: Running, ami_observer: AmiObserver, keys: str
) -> None:
    call_id = await originate(ami_observer, running.url, keys, wait_s=2, hold_s=2)
    await eventually(lambda: running.ended(call_id), within_s=40)
    record = await running.stored(call_id)
    assert record.started_at is not None
    predicted = await simulate(load_flowset(running.flows), "main", [keys], record)
    assert _until_handoff(Journey.of(record)) == _until_handoff(predicted)
