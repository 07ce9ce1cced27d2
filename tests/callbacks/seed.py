"""A store seeded with callback requests in every status, at known times (metrics, pages, CLI)."""

from __future__ import annotations

import datetime as dt

from ivr.callbacks.store import CallbackStore
from tests.callbacks.requests import T0, request


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


async def seed_callbacks(store: CallbackStore) -> dict[str, str]:
    """Five requests; returns their ids by name.

    ``done``: asked at T0, connected 10 minutes later (Agent Alice) after two attempts.
    ``late``: asked at T0+5, connected 25 minutes later. ``waiting``: pending.
    ``failed``: three unanswered attempts. ``gone``: cancelled (the caller called again).
    """
    ids: dict[str, str] = {}
    for name, minutes, number in (("done", 0, "+4930100"), ("late", 5, "+4930200"),
                                  ("waiting", 20, "+4930300"), ("failed", 1, "+4930400"),
                                  ("gone", 2, "+4930500")):
        made = request(_at(minutes), number=number, request_id=f"req-{name}")
        await store.add(made)
        ids[name] = made.request_id
    await _connect(store, ids["done"], 10, attempts=2, agent="Agent Alice")
    await _connect(store, ids["late"], 30, attempts=1, agent="Agent Bob")
    await store.change(ids["failed"], "failed", _at(40), "no_answer; no attempts left",
                       attempts=3, reason="no_answer")
    await store.change(ids["gone"], "cancelled", _at(3), "the caller reached an agent")
    return ids


async def _connect(store: CallbackStore, request_id: str, minutes: float, attempts: int,
                   agent: str) -> None:
    at = _at(minutes)
    await store.change(request_id, "queued", at, "callee pressed 1", attempts=attempts)
    await store.change(request_id, "connected", at, f"answered by {agent}", agent=agent,
                       connected_at=at)
