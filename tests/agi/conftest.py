"""Fixtures for the FastAGI tests: the service running against the real Asterisk."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.ami.client import AmiClient
from ivr.calls.store import open_store
from ivr.config import Config
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from tests.agi.live import FLOWS, Running
from tests.asterisk.fixtures import SERVICE_USER, Sandbox
from tests.conftest import ROOT


@pytest.fixture
async def running(asterisk: Sandbox, tmp_path: Path) -> AsyncIterator[Running]:
    flows = tmp_path / "flows.yaml"
    shutil.copy(FLOWS, flows)
    config = Config()
    config.flows.path = flows
    config.agi.port = 0
    config.recordings_dir = ROOT / "recordings"
    store = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, *SERVICE_USER, min_backoff_s=0.1)
    service = IvrService(config, flows_loader(), engine_call_factory(), store=store, ami=ami)
    await service.start()
    async with asyncio.timeout(20):
        await ami.wait_connected()
    yield Running(service, store, flows)
    await service.close()
    assert service.server.active == 0
