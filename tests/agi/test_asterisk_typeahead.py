"""Keys pressed while the service stores a step or runs a lookup reach the next menu.

Through the real Asterisk, a Local/ caller presses 1 and, a quarter of a second later, 2,
without waiting for the second menu's prompt: in the ``twostep`` flow while every write of
the call takes 1.5 s to store (a database under load), in the ``lookahead`` flow while a
lookup between the menus takes 1.5 s (a slow backend). Keys that arrive while the service
sends Asterisk no command would be read and freed by ``res_agi``: kept, they answer the
first menu and the second (support); dropped, the caller would be asked again until they
hung up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ivr.calls.record import TimelineEntry
from ivr.interpreter import agi_transport
from tests.agi.helpers import stalled_lookup
from tests.agi.live import Running, originate, queue_join
from tests.asterisk.fixtures import AmiObserver

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

STORE_DELAY_S = 1.5


@pytest.fixture(autouse=True)
def machine_keeps_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the listening, on a machine that keeps time.

    The service stops listening for 5 s once one timer or ``WAIT FOR DIGIT`` comes back
    25 ms late (``LinePace``, tested in tests/interpreter/test_agi_hold.py). Here the
    service shares its event loop with pytest and the two cores with Asterisk's chroot, and
    one such hiccup once let the 2 be dropped in a full run: not what these tests look at.
    """
    monkeypatch.setattr(agi_transport, "HOLD_LATE_MS", 10_000)


@pytest.mark.parametrize(
    "wait_s",
    [
        pytest.param(1, id="both keys while the call's first steps are stored"),
        pytest.param(3, id="1 stops the welcome prompt, 2 while that step is stored"),
    ],
)
async def test_keys_pressed_while_a_step_is_stored_answer_the_next_menus(
    running: Running, ami_observer: AmiObserver, monkeypatch: pytest.MonkeyPatch, wait_s: int
) -> None:
    store = running.store
    append = store.append

    async def slow_append(call_id: str, entries: Sequence[TimelineEntry]) -> None:
        await asyncio.sleep(STORE_DELAY_S)
        await append(call_id, entries)

    monkeypatch.setattr(store, "append", slow_append)
    call_id = await originate(ami_observer, running.url, "12", wait_s, flow="twostep")
    assert (await queue_join(ami_observer, call_id))["Queue"] == "support"
    record = await running.stored(call_id)
    assert (record.outcome, record.queue) == ("queue", "support")
    assert record.path == ["welcome", "help_menu", "support_queue"]


async def test_keys_pressed_during_a_slow_lookup_answer_the_next_menu(
    running: Running, ami_observer: AmiObserver
) -> None:
    async with stalled_lookup(answer_after_s=STORE_DELAY_S) as asked:
        call_id = await originate(ami_observer, running.url, "12", 3, flow="lookahead")
        assert (await queue_join(ami_observer, call_id))["Queue"] == "support"
        assert asked.is_set()
    record = await running.stored(call_id)
    assert (record.outcome, record.queue) == ("queue", "support")
    assert record.path == ["welcome", "fetch", "help_menu", "support_queue"]
