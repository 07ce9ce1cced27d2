"""Deleting calls (and their recordings) older than the configured number of days."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from ivr.calls.store import schema
from ivr.calls.store.sql import SqlStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    """What one retention pass removed."""

    calls: int
    recordings: int


def _inside(root: Path, name: str) -> Path | None:
    # A recording name comes from the database; never let it point outside recordings/.
    path = (root / name).resolve()
    return path if path.is_relative_to(root.resolve()) else None


async def purge(store: SqlStore, days: int, now: dt.datetime, recordings_dir: Path) -> Purged:
    """Delete calls that started more than *days* days before *now*, with their recordings."""
    if days < 1:
        raise ValueError("store.retention_days must be at least 1 (or unset to keep everything)")
    cutoff = now - dt.timedelta(days=days)
    c = schema.calls.c
    await store.flush()
    async with store.engine.begin() as conn:
        old = (await conn.execute(
            select(c.call_id, c.recording).where(c.started_at < cutoff))).all()
        ids = [row.call_id for row in old]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            # Timeline rows first: SQLite only cascades with foreign keys on.
            await conn.execute(delete(schema.timeline).where(schema.timeline.c.call_id.in_(chunk)))
            await conn.execute(delete(schema.calls).where(c.call_id.in_(chunk)))
    removed = 0
    for row in old:
        if not row.recording:
            continue
        path = _inside(recordings_dir, row.recording)
        if path is None:
            log.warning("retention: recording %r is outside %s; left alone",
                        row.recording, recordings_dir)
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return Purged(calls=len(ids), recordings=removed)
