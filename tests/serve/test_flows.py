"""Flow reload on change and on SIGHUP; a broken edit is rejected, the old flows keep serving."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

from ivr.config import Config
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset
from ivr.serve.flows import FlowsHolder
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader

FLOWS = Path(__file__).parents[1] / "agi" / "flows" / "session.yaml"


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "flows.yaml"
    shutil.copy(FLOWS, path)
    return path


def test_reload_swaps_version_and_rejects_broken_edits(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    holder = FlowsHolder(path, load_flowset)
    first = holder.current
    assert not holder.changed()
    assert holder.reload() is False  # nothing changed: same version, no swap
    path.write_text(path.read_text().replace("priority: 5", "priority: 7"))
    assert holder.changed()
    assert holder.reload() is True
    second = holder.current
    assert second.version != first.version
    # A call that started on the first version still holds it, unchanged.
    assert first.flows["main"].nodes["sales_queue"].priority == 5  # type: ignore[union-attr]
    path.write_text(path.read_text().replace("type: menu", "type: menuu"))
    assert holder.reload() is False
    assert holder.current is second
    assert len(holder.rejected) == 1
    assert holder.rejected[0].startswith(f"{path}:")
    assert "menuu" in holder.rejected[0]


async def test_sighup_reloads_the_running_service(tmp_path: Path) -> None:
    config = Config()
    config.flows.path = _copy(tmp_path)
    config.flows.reload = False  # only the signal may reload here
    config.ami.enabled = False
    config.agi.port = 0
    service = IvrService(config, flows_loader(), engine_call_factory())
    await service.start()
    try:
        before = service.flows.current.version
        config.flows.path.write_text(
            config.flows.path.read_text().replace("priority: 5", "priority: 6")
        )
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):
            if service.flows.current.version != before:
                break
            await asyncio.sleep(0.01)
        assert service.flows.current.version != before
    finally:
        await service.close()


async def test_a_reload_parses_off_the_event_loop(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    loads: list[bool] = []

    def slow_load(p: Path) -> FlowSet:
        time.sleep(0.3)  # a big flow file: the loop must keep running meanwhile
        loads.append(True)
        return load_flowset(p)

    holder = FlowsHolder(path, load_flowset)
    holder._load = slow_load  # the same holder, now with a slow loader
    path.write_text(path.read_text().replace("priority: 5", "priority: 7"))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        assert await holder.reload_off_loop() is True
    finally:
        ticker.cancel()
    assert loads == [True]
    assert ticks >= 10  # the loop ran through the 0.3 s of parsing


async def test_the_watcher_notices_an_edit_to_an_included_file(tmp_path: Path) -> None:
    main = tmp_path / "flows.yaml"
    shutil.copy(Path(__file__).parents[2] / "flows.yaml", main)
    shutil.copytree(Path(__file__).parents[2] / "flows", tmp_path / "flows")
    holder = FlowsHolder(main, load_flowset)
    before = holder.current.version
    included = tmp_path / "flows" / "common.yaml"
    included.write_text(included.read_text().replace("Goodbye", "Bye now"))
    watcher = asyncio.create_task(holder.watch(interval_s=0.05))
    try:
        for _ in range(200):
            if holder.current.version != before:
                break
            await asyncio.sleep(0.02)
    finally:
        watcher.cancel()
    assert holder.current.version != before
