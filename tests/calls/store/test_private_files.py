"""The SQLite store is private to the service's user: folder 0700, database and WAL 0600."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from ivr.calls.store import open_store
from ivr.web.sessions import Sessions
from ivr.web.users import Users


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, under which files come out 0644
    try:
        folder = tmp_path / "ivr-data"
        store = await open_store(f"sqlite:///{folder / 'calls.sqlite3'}")
        try:
            # A user and a session make SQLite write its WAL and shared-memory files too.
            user = await Users(store.engine).add("dana", "admin", "a long password")
            await Sessions(store.engine).create(user, dt.datetime.now(dt.UTC))
            files = sorted(p.name for p in folder.iterdir())
            assert "calls.sqlite3-wal" in files
            assert _mode(folder) == 0o700
            assert {name: _mode(folder / name) for name in files} == dict.fromkeys(files, 0o600)
        finally:
            await store.close()
    finally:
        os.umask(old)


async def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    db = shared / "calls.sqlite3"
    db.touch()
    os.chmod(db, 0o644)
    store = await open_store(f"sqlite:///{db}")
    await store.close()
    assert _mode(db) == 0o600
    assert _mode(shared) == 0o755  # a folder the operator made is not ours to change
