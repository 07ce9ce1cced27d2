"""Two in-process ``ivr serve`` instances on one store feed one wallboard (both backends).

Each takes a real FastAGI call that is held at the first question (the caller's side
does not answer ``WAIT FOR DIGIT`` until told); the wallboard must show both calls at
``main/choose_language``, then none once they hang up, and a stopped instance leaves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from ivr.agi.protocol import split_like_asterisk
from ivr.bench.agi_peer import CallScript, answer
from ivr.calls.store import SqlStore, open_store
from ivr.config import Config
from ivr.demo.callers import DemoCall, _header
from ivr.live.board import Thresholds, snapshot
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


async def _until(store: SqlStore, check: Any) -> dict[str, Any]:
    for _ in range(100):
        board = await _board(store)
        if check(board):
            return board
        await asyncio.sleep(0.05)
    return await _board(store)


async def test_two_services_feed_one_wallboard(store_url: str, tmp_path: Path) -> None:
    config = Config.model_validate({
        "flows": {"path": str(ROOT / "flows.yaml"), "reload": False}, "agi": {"port": 0},
        "recordings_dir": str(tmp_path / "recordings")})
    services = [IvrService(config, flows_loader(), engine_call_factory(),
                           store=await open_store(store_url), instance=name)
                for name in ("ivr-a", "ivr-b")]
    wallboard = await open_store(store_url)
    release = asyncio.Event()
    calls: list[asyncio.Task[None]] = []
    try:
        for service in services:
            await service.start()
        for n, service in enumerate(services):
            waiting = asyncio.Event()
            calls.append(asyncio.create_task(
                held_call(service.server.port, n, release, waiting)))
            await asyncio.wait_for(waiting.wait(), 30)
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
        for service in services:
            await service.close()
        await wallboard.close()
