"""Persistence of call records: SQLite (embedded default) and PostgreSQL (shared by instances)."""

from __future__ import annotations

import os
from pathlib import Path

from ivr.calls.store.sql import COMMIT_WAIT_S, SqlStore, StoreUrlError

__all__ = ["SqlStore", "StoreUrlError", "open_store", "private_sqlite_file"]


def private_sqlite_file(path: Path) -> None:
    """Make *path*'s folder (when new) 0700 and the database file 0600.

    The file holds password hashes, sessions and caller numbers: nobody but the
    service's user may read it. SQLite gives its -wal/-shm/-journal files the
    database file's mode, so they follow. A folder that already exists is left
    as it is (it may be a shared one the operator chose).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


async def open_store(url: str, commit_wait_s: float = COMMIT_WAIT_S) -> SqlStore:
    """Open ``sqlite:///PATH`` (private file, see above) or ``postgresql://…``; migrate."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        private_sqlite_file(Path(url.removeprefix("sqlite:///")))
    return await SqlStore.open(url, commit_wait_s)
