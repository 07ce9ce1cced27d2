"""The whole service against the real Asterisk 22: Local/ calls pressing keys, reload, injection.

Calls are originated over AMI on ``Local/s@ivr-test-entry``: that half runs the IVR
dialplan (AGI to the service under test, then ``Queue(${IVR_QUEUE})``) while the
other half waits ``TEST_WAIT`` seconds and sends ``TEST_DTMF``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.bench.sipp import sip_call, sipp_available
from tests.agi.helpers import stalled_lookup
from tests.agi.live import Running, originate, queue_join
from tests.asterisk.fixtures import AmiObserver, Sandbox, eventually
from tests.conftest import need

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


async def test_local_call_with_dtmf_walks_the_flow_into_the_queue(
    running: Running, ami_observer: AmiObserver
) -> None:
    call_id = await originate(ami_observer, running.url, "2", wait_s=2)
    joined = await queue_join(ami_observer, call_id)
    assert joined["Queue"] == "support"
    queue_var = await asyncio.to_thread(
        ami_observer.action, "Getvar", Channel=joined["Channel"], Variable="IVR_QUEUE"
    )
    assert queue_var["Value"] == "support"
    handoff = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "UserEvent" and e.get("Uniqueid") == call_id, 10,
    )
    assert handoff["UserEvent"] == "IvrHandoff"
    assert handoff["Ivr-Queue"] == "support"
    record = await running.stored(call_id)
    assert (record.outcome, record.queue) == ("queue", "support")
    assert record.path[:2] == ["menu", "support_queue"]
    # The caller half hangs up after TEST_HOLD: AMI follows the call after the IVR.
    await eventually(lambda: running.followed(call_id), within_s=30)
    assert (await running.stored(call_id)).after_ivr_status == "abandoned"


async def test_a_prompt_asterisk_cannot_open_is_an_error_and_the_caller_reaches_a_person(
    running_prompts_unseen: Running, ami_observer: AmiObserver
) -> None:
    # res_agi answers such a STREAM FILE with -1, as for a hang-up; the channel is still up.
    running = running_prompts_unseen
    call_id = await originate(ami_observer, running.url, "2", wait_s=2)
    joined = await queue_join(ami_observer, call_id)
    assert joined["Queue"] == "support"  # [ivr-outcome] error: the default queue
    await eventually(lambda: running.ended(call_id), within_s=20)
    record = await running.stored(call_id)
    assert (record.outcome, record.outcome_node) == ("error", "menu")
    errors = [e.data for e in record.timeline if e.kind == "error"]
    assert errors == [{"reason": "PromptNotPlayed"}]


async def test_flows_reload_while_calls_are_in_progress(
    running: Running, ami_observer: AmiObserver
) -> None:
    old_version = running.service.flows.current.version
    slow_call = await originate(ami_observer, running.url, "1", wait_s=5)
    await eventually(lambda: running.has(slow_call), within_s=20)
    # Ops re-point option 1 at support while the first caller is still in the menu.
    text = running.flows.read_text()
    running.flows.write_text(text.replace("{key: 1, label: sales, next: sales_queue}",
                                          "{key: 1, label: sales, next: support_queue}"))
    await eventually(lambda: running.service.flows.current.version != old_version)
    new_version = running.service.flows.current.version
    new_call = await originate(ami_observer, running.url, "1", wait_s=1)
    assert (await queue_join(ami_observer, slow_call))["Queue"] == "sales"
    assert (await queue_join(ami_observer, new_call))["Queue"] == "support"
    assert (await running.stored(slow_call)).flow_version == old_version
    assert (await running.stored(new_call)).flow_version == new_version
    # A broken edit is rejected loudly and the last good flows keep serving.
    running.flows.write_text(text.replace("type: menu", "type: menuu"))
    await eventually(lambda: len(running.service.flows.rejected) == 1)
    assert "menuu" in running.service.flows.rejected[0]
    assert ":" in running.service.flows.rejected[0].splitlines()[0]
    assert running.service.flows.current.version == new_version
    third = await originate(ami_observer, running.url, "2", wait_s=1)
    assert (await queue_join(ami_observer, third))["Queue"] == "support"


HOSTILE = 'two words "quoted" \\ back\nEXEC Hangup\n"'


async def test_hostile_values_are_set_verbatim_and_run_nothing(
    asterisk: Sandbox, ami_observer: AmiObserver
) -> None:
    seen: asyncio.Queue[tuple[str | None, str | None, bool]] = asyncio.Queue()

    async def handler(channel: AgiChannel) -> None:
        await channel.set_variable("IVR_VAR_note", HOSTILE)
        await channel.set_variable("IVR_VAR_digits", '12" ; NOOP')
        await channel.noop()  # the session is still alive and in sync
        await seen.put((await channel.get_variable("IVR_VAR_note"),
                        await channel.get_variable("IVR_VAR_digits"), channel.hung_up))
        await channel.set_variable("IVR_OUTCOME", "hangup")

    async with AgiServer(handler, port=0) as server:
        call_id = await originate(ami_observer, f"agi://127.0.0.1:{server.port}", "", 1, 2)
        note, digits, hung_up = await asyncio.wait_for(seen.get(), 20)
    assert note == HOSTILE
    assert digits == '12" ; NOOP'
    assert hung_up is False
    hangup = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == call_id,
    )
    # The caller half ended the call after TEST_HOLD; nothing hung up from inside the AGI.
    assert hangup["Cause"] in ("16", "0")


async def test_sip_caller_with_rfc4733_keys_reaches_the_queue(
    running: Running, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    ok, why = sipp_available()
    need(ok, why)
    call = asyncio.create_task(
        sip_call(tmp_path, running.url, keys="1", first_ms=1500, hold_ms=5000)
    )
    joined = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "QueueCallerJoin"
        and e.get("Channel", "").startswith("PJSIP/sipp-"),
        40,
    )
    assert joined["Queue"] == "sales"
    record = await running.stored(joined["Uniqueid"])
    assert (record.outcome, record.queue, record.caller) == ("queue", "sales", "0212345678")
    code, output = await call
    assert code == 0, output


async def test_caller_hanging_up_during_the_prompt_leaves_an_abandoned_record(
    running: Running, ami_observer: AmiObserver
) -> None:
    call_id = await originate(ami_observer, running.url, "", wait_s=0, hold_s=1)
    await eventually(lambda: running.ended(call_id), within_s=20)
    record = await running.stored(call_id)
    assert (record.outcome, record.outcome_node) == ("abandoned", "menu")
    await eventually(lambda: running.service.server.active == 0)


async def test_agent_answer_is_followed_after_the_ivr(
    running: Running, ami_observer: AmiObserver
) -> None:
    interface = "Local/4100@ivr-test-agent/n"
    added = await asyncio.to_thread(
        ami_observer.action, "QueueAdd", Queue="sales", Interface=interface,
        MemberName="Agent Alice",
    )
    assert added["Response"] == "Success", added
    try:
        call_id = await originate(ami_observer, running.url, "1", wait_s=1, hold_s=8)
        await eventually(lambda: running.followed(call_id), within_s=40)
        stored = await running.stored(call_id)
        status, agent, wait_s = stored.after_ivr_status, stored.agent, stored.queue_wait_s
        assert (status, agent) == ("answered", "Agent Alice")
        assert wait_s is not None
        assert wait_s >= 0
    finally:
        await asyncio.to_thread(
            ami_observer.action, "QueueRemove", Queue="sales", Interface=interface
        )


async def test_caller_hanging_up_during_digit_collection_leaves_an_abandoned_record(
    running: Running, ami_observer: AmiObserver
) -> None:
    call_id = await originate(ami_observer, running.url, "3", wait_s=1, hold_s=3)
    await eventually(lambda: running.ended(call_id), within_s=30)
    record = await running.stored(call_id)
    assert (record.outcome, record.outcome_node) == ("abandoned", "ask_account")
    await eventually(lambda: running.service.server.active == 0)


async def test_caller_hanging_up_during_a_lookup_leaves_an_abandoned_record(
    running: Running, ami_observer: AmiObserver
) -> None:
    async with stalled_lookup() as started:
        # 3 (account), a pause for the next prompt, then the four digits; hang up mid-lookup.
        call_id = await originate(ami_observer, running.url, "3wwwwww1w2w3w4", wait_s=1,
                                  hold_s=3)
        await asyncio.wait_for(started.wait(), 30)
        await eventually(lambda: running.ended(call_id), within_s=30)
        record = await running.stored(call_id)
        assert (record.outcome, record.outcome_node) == ("abandoned", "fetch")
        await eventually(lambda: running.service.server.active == 0)
