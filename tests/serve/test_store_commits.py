"""A call's row and its first steps share one commit: one transaction fewer per call.

One call through the real FastAGI service with the SQLite store, alone (so no
other call shares a commit with it): every write it hands over is counted, and
the store's commits must be exactly one fewer. The call is still stored before
the caller hears anything (tests/serve/test_crash.py checks that part).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ivr.bench.agi_peer import CallScript, PeerStats, one_call
from ivr.calls.store import open_store
from ivr.config import Config
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader

FLOWS = Path(__file__).parents[1] / "agi" / "flows" / "session.yaml"


async def test_a_lone_call_commits_once_less_than_it_writes(tmp_path: Path) -> None:
    config = Config()
    config.flows.path = FLOWS
    config.flows.reload = False
    config.agi.port = 0
    config.speech.audiosocket_port = 0
    store = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    writes: list[str] = []
    for name in ("begin", "append", "finish"):
        method = getattr(store, name)

        async def counted(*args: Any, _method: Any = method, _name: str = name) -> None:
            writes.append(_name)
            await _method(*args)

        setattr(store, name, counted)
    service = IvrService(config, flows_loader(), engine_call_factory(), store=store)
    await service.start()
    stats = PeerStats()
    try:
        before = store.commits
        await one_call("127.0.0.1", service.server.port, "main", 1, CallScript(list("11")),
                       stats)
        await store.flush()
        commits = store.commits - before
    finally:
        await service.close()
        await store.close()
    assert stats.errors == []
    assert writes[:2] == ["begin", "append"]
    assert writes.count("append") >= 2
    assert commits == len(writes) - 1
    assert (await _stored(tmp_path)) is not None


async def _stored(tmp_path: Path) -> Any:
    store = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    try:
        return await store.get("bench.1")
    finally:
        await store.close()
