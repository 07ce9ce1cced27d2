"""The service under test against the real Asterisk: its handle and a way to place calls."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from ivr.calls.record import CallRecord
from ivr.calls.store import SqlStore
from ivr.serve.service import IvrService
from tests.asterisk.fixtures import AmiObserver

FLOWS = Path(__file__).with_name("flows") / "session.yaml"


class Running:
    """The service under test with its real (SQLite) call store."""

    def __init__(self, service: IvrService, store: SqlStore, flows: Path) -> None:
        self.service = service
        self.store = store
        self.flows = flows

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.service.server.port}"

    async def record(self, call_id: str) -> CallRecord | None:
        """The call as stored (after the writer committed what it was handed)."""
        await self.store.flush()
        return await self.store.get(call_id)

    async def stored(self, call_id: str) -> CallRecord:
        """The stored call, which must exist."""
        record = await self.record(call_id)
        assert record is not None, f"no record of {call_id}"
        return record

    async def has(self, call_id: str) -> bool:
        """True once the call is in the store."""
        return await self.record(call_id) is not None

    async def ended(self, call_id: str) -> bool:
        """True once the call's record is finished."""
        record = await self.record(call_id)
        return record is not None and record.ended_at is not None

    async def followed(self, call_id: str) -> bool:
        """True once AMI's after-IVR result is stored."""
        record = await self.record(call_id)
        return record is not None and record.after_ivr_status is not None



async def originate(observer: AmiObserver, url: str, dtmf: str, wait_s: float,
                    hold_s: int = 6, flow: str = "main") -> str:
    """Place a Local/ test call; return the Uniqueid of its IVR half (the call id)."""
    caller_id = f"e2e-{uuid.uuid4().hex[:12]}"
    ivr_id = f"{caller_id}-2"  # Asterisk refused OtherChannelIds that ChannelId extends
    response = await asyncio.to_thread(
        observer.action, "Originate", Channel="Local/s@ivr-test-entry",
        Context="ivr-test-caller", Exten="s", Priority="1", Async="true",
        ChannelId=caller_id, OtherChannelId=ivr_id,
        Variable=(f"IVR_AGI_URL={url},IVR_FLOW={flow},TEST_DTMF={dtmf},"
                  f"TEST_WAIT={wait_s},TEST_HOLD={hold_s}"),
    )
    assert response["Response"] == "Success", response
    return ivr_id


async def queue_join(observer: AmiObserver, call_id: str) -> dict[str, str]:
    """The ``QueueCallerJoin`` event of the call's IVR half: which queue it reached, and how."""
    return await asyncio.to_thread(
        observer.wait_for,
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == call_id, 40,
    )
