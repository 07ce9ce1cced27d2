"""Retention deletes old calls with their timelines and recordings, and nothing newer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ivr.calls.retention import purge
from ivr.calls.store import SqlStore
from tests.calls.records import at, call, entry


async def test_old_calls_and_their_recordings_go_newer_ones_stay(store: SqlStore,
                                                                 tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    (recordings / "voicemail").mkdir(parents=True)
    outside = tmp_path / "precious.wav"
    for name in ("old.wav", "new.wav"):
        (recordings / "voicemail" / name).write_bytes(b"RIFF")
    outside.write_bytes(b"RIFF")
    old = call("old", start=0, outcome="voicemail", ended_at=at(60),
               recording="voicemail/old.wav")
    old.timeline = [entry(0, "call_started"), entry(50, "recorded", "vm", duration_s=9)]
    sneaky = call("sneaky", start=10, outcome="voicemail", ended_at=at(70),
                  recording="../precious.wav")
    new = call("new", start=40 * 86400, outcome="voicemail", ended_at=at(40 * 86400 + 60),
               recording="voicemail/new.wav")
    for rec in (old, sneaky, new):
        await store.finish(rec)
    await store.flush()

    done = await purge(store, 30, at(45 * 86400), recordings)

    assert (done.calls, done.recordings) == (2, 1)
    assert await store.get("old") is None
    assert await store.get("sneaky") is None
    assert await store.get("new") is not None
    assert not (recordings / "voicemail" / "old.wav").exists()
    assert (recordings / "voicemail" / "new.wav").exists()
    assert outside.exists()  # a stored name never reaches outside recordings/


async def test_retention_below_one_day_is_refused(store: SqlStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retention_days"):
        await purge(store, 0, dt.datetime.now(dt.UTC), tmp_path)
