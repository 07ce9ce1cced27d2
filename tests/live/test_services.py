"""Two in-process ``ivr serve`` instances on one store feed one wallboard (both backends).

Each takes a real FastAGI call that is held at the first question (the caller's side
does not answer ``WAIT FOR DIGIT`` until told); the wallboard must show both calls at
``main/choose_language``, then none once they hang up, and a stopped instance leaves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ivr.agi.protocol import split_like_asterisk
from ivr.bench.agi_peer import CallScript, answer
from ivr.calls.store import SqlStore, open_store
from ivr.config import Config
from ivr.demo.callers import DemoCall, _header
from ivr.live.board import Thresholds, snapshot
from ivr.live.state import STALE_AFTER
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from tests.conftest import ROOT


async def held_call(port: int, n: int, release: asyncio.Event, waiting: asyncio.Event) -> None:
    """Dial *port*; at the first ``WAIT FOR DIGIT`` set *waiting*, then hang up on *release*."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_header(DemoCall("main", "", f"+1555000{n}", dt.timedelta(0)), n))
    script = CallScript([])
    hung_up = False
    try:
        while line := await asyncio.wait_for(reader.readline(), 30):
            words = split_like_asterisk(line.decode())
            if words[:3] == ["WAIT", "FOR", "DIGIT"] and not hung_up:
                waiting.set()
                await release.wait()
                writer.write(b"200 result=-1\nHANGUP\n")
                hung_up = True
                continue
            writer.write(("511 dead" if hung_up else answer(words, script)).encode() + b"\n")
    finally:
        writer.close()


async def _board(store: SqlStore) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return await snapshot(store.engine, now, now - dt.timedelta(hours=1), Thresholds())


async def _until(store: SqlStore, check: Any, tries: int = 100) -> dict[str, Any]:
    for _ in range(tries):
        board = await _board(store)
        if check(board):
            return board
        await asyncio.sleep(0.05)
    return await _board(store)


@asynccontextmanager
async def _two_services(store_url: str, tmp_path: Path) -> AsyncIterator[
        tuple[list[IvrService], SqlStore]]:
    """Services ``ivr-a`` and ``ivr-b`` on the store at *store_url*, and the wallboard's store."""
    config = Config.model_validate({
        "flows": {"path": str(ROOT / "flows.yaml"), "reload": False}, "agi": {"port": 0},
        "recordings_dir": str(tmp_path / "recordings")})
    services = [IvrService(config, flows_loader(), engine_call_factory(),
                           store=await open_store(store_url), instance=name)
                for name in ("ivr-a", "ivr-b")]
    wallboard = await open_store(store_url)
    try:
        for service in services:
            await service.start()
        yield services, wallboard
    finally:
        for service in services:
            await service.close()
        await wallboard.close()


async def _hold_calls(services: list[IvrService], release: asyncio.Event) -> list[
        asyncio.Task[None]]:
    """One held call on each service, returned once every one waits at the first question."""
    calls = []
    for n, service in enumerate(services):
        waiting = asyncio.Event()
        calls.append(asyncio.create_task(held_call(service.server.port, n, release, waiting)))
        await asyncio.wait_for(waiting.wait(), 30)
    return calls


async def test_two_services_feed_one_wallboard(store_url: str, tmp_path: Path) -> None:
    release = asyncio.Event()
    async with _two_services(store_url, tmp_path) as (services, wallboard):
        try:
            calls = await _hold_calls(services, release)
            board = await _until(wallboard, lambda b: b["in_ivr"] == 2)
            assert board["instances"] == ["ivr-a", "ivr-b"]
            assert board["calls"] == {"main": {"choose_language": 2}}
            release.set()
            await asyncio.gather(*calls)
            board = await _until(wallboard, lambda b: b["in_ivr"] == 0)
            assert board["in_ivr"] == 0
            assert board["today"]["calls"] == 2
            await services[0].close()
            board = await _board(wallboard)
            assert board["instances"] == ["ivr-b"]  # a clean stop leaves at once
        finally:
            release.set()


async def test_a_service_that_dies_holding_a_call_leaves_after_the_timeout(
        store_url: str, tmp_path: Path) -> None:
    release = asyncio.Event()
    async with _two_services(store_url, tmp_path) as (services, wallboard):
        try:
            calls = await _hold_calls(services, release)
            await _until(wallboard, lambda b: b["in_ivr"] == 2)
            # ivr-a's process dies: it stops publishing and never deletes its row.
            live = services[0].live
            assert live is not None
            assert live._task is not None
            live._task.cancel()
            await asyncio.gather(live._task, return_exceptions=True)
            live._task = None
            died = time.monotonic()
            board = await _board(wallboard)
            assert board["in_ivr"] == 2  # not yet: it may only be slow
            board = await _until(wallboard, lambda b: b["instances"] == ["ivr-b"], 100)
            gone_after = time.monotonic() - died
            assert board["in_ivr"] == 1  # ivr-b's caller is still there
            assert board["calls"] == {"main": {"choose_language": 1}}
            print(f"a dead instance's call left the wallboard after {gone_after:.2f} s "
                  f"(timeout {STALE_AFTER.total_seconds():g} s)")
            assert gone_after >= STALE_AFTER.total_seconds() - 0.6  # its last write's age
        finally:
            release.set()
        await asyncio.gather(*calls)
