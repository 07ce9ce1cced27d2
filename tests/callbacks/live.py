"""The service with callbacks against the real Asterisk: placing callers, adding agents."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ivr.ami.client import AmiClient
from ivr.callbacks.model import CallbackRequest
from ivr.callbacks.service import Callbacks
from ivr.callbacks.store import CallbackStore
from ivr.calls.store import SqlStore, open_store
from ivr.config import Config
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from tests.asterisk.fixtures import SERVICE_USER, AmiObserver, Sandbox
from tests.conftest import ROOT

FLOWS = Path(__file__).with_name("flows.yaml")
#: Test agents: answer, talk a second, hang up (asterisk_conf [ivr-test-agent]).
AGENT = "Local/4200@ivr-test-agent/n"


class Live:
    """A running service with callbacks on a fresh SQLite store."""

    def __init__(self, service: IvrService, calls: SqlStore, callbacks: CallbackStore) -> None:
        self.service, self.calls, self.callbacks = service, calls, callbacks

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.service.server.port}"

    async def requests(self) -> list[CallbackRequest]:
        """Every stored request, with history."""
        found = [await self.callbacks.get(r.request_id) for r in await self.callbacks.recent()]
        return [r for r in found if r is not None]

    async def status(self, status: str) -> bool:
        """True once some request is in *status*."""
        return any(r.status == status for r in await self.requests())


@asynccontextmanager
async def live_service(asterisk: Sandbox, tmp_path: Path, *, dial: bool = True,
                       backoff_s: float = 2.0) -> AsyncIterator[Live]:
    """Start the service with its dispatcher dialling ``Local/{number}@ivr-test-callee``."""
    config = Config()
    config.flows.path = FLOWS
    config.flows.reload = False
    config.agi.port = 0
    config.recordings_dir = ROOT / "recordings"
    cb = config.callbacks
    cb.dial, cb.company, cb.enabled = "Local/{number}@ivr-test-callee", "Harbor Telecom", dial
    cb.poll_s, cb.ring_s, cb.backoff_s, cb.lease_s = 0.3, 4.0, backoff_s, 30.0
    calls = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, *SERVICE_USER, min_backoff_s=0.1)
    store = CallbackStore(calls.engine)
    callbacks = Callbacks(store, calls, ami, cb, "e2e", config.recordings_dir.resolve())
    service = IvrService(config, flows_loader(), engine_call_factory(), store=calls, ami=ami,
                         callbacks=callbacks)
    await service.start()
    cb.agi_url = f"agi://127.0.0.1:{service.server.port}"  # known once listening
    async with asyncio.timeout(20):
        await ami.wait_connected()
    try:
        yield Live(service, calls, store)
    finally:
        await service.close()


def fresh_number(first: str = "5") -> str:
    """A caller number no earlier run used (the test callee counts calls per number)."""
    return first + "".join(random.choice("0123456789") for _ in range(7))


async def call_in(observer: AmiObserver, url: str, number: str, dtmf: str = "1",
                  hold_s: int = 8) -> str:
    """A Local/ caller with caller ID *number* into the flow; returns the IVR half's Uniqueid."""
    caller_id = f"e2e-{uuid.uuid4().hex[:12]}"
    ivr_id = f"{caller_id}-2"
    response = await asyncio.to_thread(
        observer.action, "Originate", Channel="Local/s@ivr-test-entry",
        Context="ivr-test-caller", Exten="s", Priority="1", Async="true",
        ChannelId=caller_id, OtherChannelId=ivr_id, CallerID=f"Caller <{number}>",
        Variable=(f"IVR_AGI_URL={url},IVR_FLOW=main,TEST_DTMF={dtmf},"
                  f"TEST_WAIT=2,TEST_HOLD={hold_s}"),
    )
    assert response["Response"] == "Success", response
    return ivr_id


@asynccontextmanager
async def agent_in(observer: AmiObserver, queue: str = "support") -> AsyncIterator[None]:
    """A test agent logged into *queue* over AMI for the duration."""
    try:
        added = await asyncio.to_thread(observer.action, "QueueAdd", Queue=queue,
                                        Interface=AGENT, MemberName="Agent Bob")
        assert added["Response"] == "Success", added
        yield
    finally:
        await asyncio.to_thread(observer.action, "QueueRemove", Queue=queue, Interface=AGENT)
