"""Persistence of call records: SQLite (embedded default) and PostgreSQL (shared by instances)."""

from __future__ import annotations

from ivr.calls.store.sql import COMMIT_WAIT_S, SqlStore, StoreUrlError

__all__ = ["SqlStore", "StoreUrlError", "open_store"]


async def open_store(url: str, commit_wait_s: float = COMMIT_WAIT_S) -> SqlStore:
    """Open ``sqlite:///PATH`` (the file's folder is created) or ``postgresql://…``; migrate."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return await SqlStore.open(url, commit_wait_s)
