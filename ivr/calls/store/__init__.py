"""Persistence of call records: SQLite (embedded default) and PostgreSQL (shared by instances)."""

from __future__ import annotations

from ivr.calls.store.sql import SqlStore, StoreUrlError

__all__ = ["SqlStore", "StoreUrlError", "open_store"]


async def open_store(url: str) -> SqlStore:
    """Open ``sqlite:///PATH`` (the file's folder is created) or ``postgresql://…``; migrate."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return await SqlStore.open(url)
