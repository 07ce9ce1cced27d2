"""Who ended the call, on the real Asterisk 22: the caller (abandoned) or Asterisk (interrupted).

Asterisk sends FastAGI the same ``HANGUP`` whether the caller hung up or it hung the channel
up itself; the service then asks for the channel's hang-up source (docs/operations.md,
"Interrupted or abandoned"). A SIP caller's BYE and a Local test caller name one; ``channel
request hangup``, the AMI ``Hangup`` action and ``core stop now`` do not.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from ivr.bench.sipp import sip_call, sipp_available
from tests.agi.live import Running, originate
from tests.asterisk.fixtures import AmiObserver, Sandbox, eventually
from tests.conftest import need

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


async def _ivr_channel(observer: AmiObserver, running: Running,
                       match: Callable[[dict[str, str]], bool]) -> tuple[str, str]:
    """Wait until a call *match* picks is in the IVR; return its Uniqueid and channel name."""
    event = await asyncio.to_thread(
        observer.wait_for,
        lambda e: e.get("Event") == "Newexten" and e.get("Application") == "AGI" and match(e), 30)
    call_id = event["Uniqueid"]
    await eventually(lambda: running.has(call_id), within_s=10)
    return call_id, event["Channel"]


@asynccontextmanager
async def _sip_caller(tmp_path: Path, running: Running, hold_ms: int) -> AsyncIterator[None]:
    """A sipp caller in the menu that hangs up (BYE) after *hold_ms*, unless hung up first."""
    ok, why = sipp_available()
    need(ok, why)
    call = asyncio.create_task(sip_call(tmp_path, running.url, keys="", first_ms=500,
                                        hold_ms=hold_ms))
    try:
        yield
    finally:
        await asyncio.wait_for(call, 90)  # its exit code: a BYE from Asterisk is not its plan


def _sip(event: dict[str, str]) -> bool:
    return event.get("Channel", "").startswith("PJSIP/sipp-")


async def _outcome(running: Running, call_id: str) -> tuple[str | None, str | None]:
    await eventually(lambda: running.ended(call_id), within_s=30)
    record = await running.stored(call_id)
    return record.outcome, record.outcome_node


async def test_sip_caller_hanging_up_is_abandoned(
    running: Running, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    async with _sip_caller(tmp_path, running, hold_ms=2500):
        call_id, _ = await _ivr_channel(ami_observer, running, _sip)
        assert await _outcome(running, call_id) == ("abandoned", "menu")


async def test_local_caller_hanging_up_is_abandoned(
    running: Running, ami_observer: AmiObserver
) -> None:
    # [ivr-test-caller] names itself the hang-up source of the IVR half before it hangs up,
    # as a phone's channel driver does; without that this half would have none.
    call_id = await originate(ami_observer, running.url, "", wait_s=0, hold_s=2)
    assert await _outcome(running, call_id) == ("abandoned", "menu")


HangUp = Callable[[Sandbox, AmiObserver, str], Awaitable[None]]


async def _cli_hangup(asterisk: Sandbox, observer: AmiObserver, channel: str) -> None:
    out = await asyncio.to_thread(asterisk.cli, f"channel request hangup {channel}")
    assert "Requested Hangup" in out, out


async def _ami_hangup(asterisk: Sandbox, observer: AmiObserver, channel: str) -> None:
    response = await asyncio.to_thread(observer.action, "Hangup", Channel=channel)
    assert response["Response"] == "Success", response


@pytest.mark.parametrize("hang_up", [_cli_hangup, _ami_hangup], ids=["cli", "ami"])
@pytest.mark.parametrize("caller", ["sip", "local"])
async def test_asterisk_hanging_the_caller_up_is_interrupted(
    running: Running, ami_observer: AmiObserver, asterisk: Sandbox, tmp_path: Path,
    hang_up: HangUp, caller: str,
) -> None:
    # An administrator (or supervisor) cutting the call off from the PBX: not the caller
    # giving up, so the record must not say they did.
    if caller == "sip":
        async with _sip_caller(tmp_path, running, hold_ms=20000):
            call_id, channel = await _ivr_channel(ami_observer, running, _sip)
            await hang_up(asterisk, ami_observer, channel)
            assert await _outcome(running, call_id) == ("interrupted", "menu")
    else:
        call_id = await originate(ami_observer, running.url, "", wait_s=0, hold_s=20)
        _, channel = await _ivr_channel(ami_observer, running,
                                        lambda e: e.get("Uniqueid") == call_id)
        await hang_up(asterisk, ami_observer, channel)
        assert await _outcome(running, call_id) == ("interrupted", "menu")


async def test_core_stop_now_is_interrupted(
    running: Running, ami_observer: AmiObserver, asterisk: Sandbox, tmp_path: Path
) -> None:
    """A graceful stop hangs its calls up first (ast_softhangup_all): still not the caller."""
    try:
        async with _sip_caller(tmp_path, running, hold_ms=30000):
            call_id, _ = await _ivr_channel(ami_observer, running, _sip)
            local_id = await originate(ami_observer, running.url, "", wait_s=0, hold_s=30)
            await _ivr_channel(ami_observer, running, lambda e: e.get("Uniqueid") == local_id)
            started = time.monotonic()
            await asyncio.to_thread(
                subprocess.run, ["chroot", str(asterisk.root), "asterisk", "-rx",
                                 "core stop now"], capture_output=True, timeout=60)
            assert await _outcome(running, call_id) == ("interrupted", "menu")
            assert await _outcome(running, local_id) == ("interrupted", "menu")
            print(f"\ncore stop now: a SIP and a Local call recorded interrupted "
                  f"{time.monotonic() - started:.2f} s after the stop began")
    finally:
        await asyncio.to_thread(asterisk.script, "restart")
