"""Fixtures for the FastAGI tests: the service running against the real Asterisk."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def _serving(asterisk: Sandbox, tmp_path: Path, recordings: Path) -> AsyncIterator[Running]:
    flows = tmp_path / "flows.yaml"
    shutil.copy(FLOWS, flows)
    config = Config()
    config.flows.path = flows
    config.agi.port = 0
    config.recordings_dir = recordings
    store = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, *SERVICE_USER, min_backoff_s=0.1)
    service = IvrService(config, flows_loader(), engine_call_factory(), store=store, ami=ami)
    await service.start()
    async with asyncio.timeout(20):
        await ami.wait_connected()
    yield Running(service, store, flows)
    await service.close()
    assert service.server.active == 0


@pytest.fixture
async def running(asterisk: Sandbox, tmp_path: Path) -> AsyncIterator[Running]:
    async with _serving(asterisk, tmp_path, ROOT / "recordings") as service:
        yield service


@pytest.fixture
async def running_prompts_unseen(asterisk: Sandbox, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with its prompts where Asterisk cannot see them (outside its chroot)."""
    recordings = tmp_path / "recordings"
    shutil.copytree(ROOT / "recordings" / "prompts", recordings / "prompts")
    async with _serving(asterisk, tmp_path, recordings) as service:
        yield service
