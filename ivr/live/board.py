"""What the wallboard shows: live rows merged, today's totals, and tile levels by threshold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.callbacks.model import OPEN
from ivr.calls.store import schema
from ivr.live.state import STALE_AFTER, Wallboard, merge


@dataclass(frozen=True)
class Thresholds:
    """When a queue tile turns amber or red (set by an admin in ``[web]``)."""

    wait_amber_s: float = 60
    wait_red_s: float = 180
    waiting_amber: int = 3
    waiting_red: int = 6


def level(figures: dict[str, Any], limits: Thresholds) -> str:
    """``red``, ``amber`` or ``ok`` for one queue's figures."""
    wait = float(figures.get("longest_s") or 0)
    waiting = int(figures.get("waiting") or 0)
    if wait >= limits.wait_red_s or waiting >= limits.waiting_red:
        return "red"
    if wait >= limits.wait_amber_s or waiting >= limits.waiting_amber:
        return "amber"
    return "ok"


async def live_rows(engine: AsyncEngine) -> list[tuple[str, dict[str, Any], dt.datetime]]:
    """Every instance's published row."""
    t = schema.live_state.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.instance, t.payload, t.updated_at))).all()
    return [(str(i), dict(p or {}), u) for i, p, u in rows]


async def today_totals(engine: AsyncEngine, since: dt.datetime) -> dict[str, Any]:
    """Calls since *since*, containment of the finished ones, callbacks still to make."""
    c = schema.calls.c
    async with engine.connect() as conn:
        total, finished, contained = (await conn.execute(
            select(func.count(), func.count(c.outcome),
                   func.sum(case((c.outcome == "self_service", 1), else_=0)))
            .where(c.started_at >= since))).one()
        pending = (await conn.execute(
            select(func.count()).select_from(schema.callbacks)
            .where(schema.callbacks.c.status.in_(OPEN)))).scalar_one()
    return {"calls": int(total), "finished": int(finished or 0),
            "containment": (int(contained or 0) / int(finished)) if finished else None,
            "callbacks_pending": int(pending)}


async def snapshot(engine: AsyncEngine, now: dt.datetime, midnight: dt.datetime,
                   limits: Thresholds, stale_after: dt.timedelta = STALE_AFTER) -> dict[str, Any]:
    """The wallboard as JSON-able data (what the page and its event stream get)."""
    board: Wallboard = merge(await live_rows(engine), now, stale_after)
    queues = {name: {**figures, "level": level(figures, limits)}
              for name, figures in sorted(board.queues.items())}
    return {"instances": board.instances, "in_ivr": board.in_ivr,
            "calls": {f: dict(sorted(n.items())) for f, n in sorted(board.calls.items())},
            "queues": queues, "today": await today_totals(engine, midnight)}
