"""A PIN read back with ``{pin!readback}`` is spoken on a live call and never in the service's log.

The flow of tests/flows/test_taint.py runs through the real FastAGI service (an
Asterisk-like peer types the PIN) with every ``ivr`` logger at DEBUG and the
SQLite store on. The readback is played (a temporary audio file, deleted
afterwards); neither the PIN, its spoken form nor the copy made for the lookup
reaches a log record, the database file or the recordings folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ivr.bench.agi_peer import CallScript, PeerStats, one_call
from ivr.calls.store import open_store
from ivr.config import Config
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from tests.flows.engine_walk import HEADER
from tests.flows.test_taint import FLOWS, PIN, SPOKEN
from tests.stored_bytes import without_timestamps


@pytest.mark.slow
async def test_a_readback_call_logs_and_keeps_no_pin(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text(HEADER + "flows:\n" + "".join("  " + line + "\n"
                                                 for line in FLOWS.splitlines()))
    config = Config()
    config.flows.path = flows
    config.flows.reload = False
    config.agi.port = 0
    config.speech.audiosocket_port = 0
    config.recordings_dir = tmp_path / "recordings"
    db = tmp_path / "calls.sqlite3"
    store = await open_store(f"sqlite:///{db}")
    service = IvrService(config, flows_loader(), engine_call_factory(), store=store)
    caplog.set_level(logging.DEBUG)
    await service.start()
    stats = PeerStats()
    try:
        await one_call("127.0.0.1", service.server.port, "main", 1, CallScript(list(PIN)), stats)
    finally:
        await service.close()
        await store.close()
    assert stats.errors == []
    outcome, journey = await _record(db)
    assert outcome == "queue"  # the lookup fails (nothing on port 9): to the agent
    assert "say_pin" in journey  # the readback was played on the way
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the log is the verbose one
    for secret in (PIN, SPOKEN):
        assert secret not in caplog.text
        assert secret.encode() not in without_timestamps(db.read_bytes())
        for path in config.recordings_dir.rglob("*"):
            assert secret not in path.name
            if path.is_file() and path.suffix != ".wav":
                assert secret.encode() not in path.read_bytes()


async def _record(db: Path) -> tuple[str | None, list[str]]:
    store = await open_store(f"sqlite:///{db}")
    try:
        got = await store.get("bench.1")
    finally:
        await store.close()
    assert got is not None
    return got.outcome, list(got.path)
