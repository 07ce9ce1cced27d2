"""One transaction of the call store's writer, with the common writes merged into few statements.

Most writes are a call arriving (one ``calls`` row) or a call moving on
(timeline rows plus the call's progress columns). Applied one by one, a batch
of 200 such writes costs some 400 statements, each a round trip to the
database driver (a thread hop for SQLite): that, not the commit, is what a
call waiting for its write to be durable pays. Staged here, a batch becomes
one multi-row insert of calls, one of timeline rows and one update per shape
of progress. Timeline numbers (``seq``) of calls this process has not seen
yet are learnt with one query per batch, not one per call. Writes that need
the database's current state (``finish``, ``after_ivr``) call :meth:`Tx.flush`
first, so every write still sees the ones before it, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Insert

from ivr.calls.record import TimelineEntry
from ivr.calls.store import rows, schema


class Tx:
    """An open transaction plus the rows staged in it and not yet sent."""

    def __init__(self, conn: AsyncConnection, insert_ignore: Callable[[], Insert],
                 next_seq: dict[str, int]) -> None:
        self.conn = conn
        self._insert_ignore = insert_ignore
        #: Next timeline seq per call in progress, shared by every transaction of the store.
        self._next_seq = next_seq
        self._calls: list[dict[str, Any]] = []
        self._timeline: list[tuple[str, list[TimelineEntry]]] = []
        #: call_id -> progress columns, the newest value of each winning.
        self._progress: dict[str, dict[str, Any]] = {}
        self._said: dict[str, list[str]] = {}

    def add_call(self, values: dict[str, Any]) -> None:
        """Stage a call's first row (ignored if the call is stored already)."""
        self._calls.append(values)

    def add_timeline(self, call_id: str, entries: Sequence[TimelineEntry],
                     progress: bool = True) -> None:
        """Stage timeline entries and (with *progress*) what they say about where the call is."""
        if not entries:
            return
        self._timeline.append((call_id, list(entries)))
        if not progress:
            return
        self._progress.setdefault(call_id, {}).update(rows.progress(entries))
        said = rows.transcripts(entries)
        if said:
            self._said.setdefault(call_id, []).append(said)

    async def stored_entries(self, call_id: str) -> int:
        """How many timeline entries of *call_id* are stored, staged ones included."""
        await self.flush()
        await self._learn_seq({call_id})
        return self._next_seq[call_id]

    async def flush(self) -> None:
        """Send everything staged, calls before their timelines (foreign keys)."""
        if self._calls:
            await self.conn.execute(self._insert_ignore(), self._calls)
        if self._timeline:
            await self._learn_seq({call_id for call_id, _ in self._timeline})
            numbered: list[dict[str, Any]] = []
            for call_id, entries in self._timeline:
                numbered += rows.timeline_rows(call_id, self._next_seq[call_id], entries)
                self._next_seq[call_id] += len(entries)
            await self.conn.execute(schema.timeline.insert(), numbered)
        await self._update_progress()
        self._calls, self._timeline = [], []
        self._progress, self._said = {}, {}

    async def _learn_seq(self, call_ids: set[str]) -> None:
        unknown = call_ids - self._next_seq.keys()
        if not unknown:
            return
        t = schema.timeline.c
        found = dict((await self.conn.execute(
            select(t.call_id, func.max(t.seq)).where(t.call_id.in_(unknown))
            .group_by(t.call_id))).all())
        for call_id in unknown:
            last = found.get(call_id)
            self._next_seq[call_id] = 0 if last is None else int(last) + 1

    async def _update_progress(self) -> None:
        # executemany needs one statement per set of columns: group the calls by it.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for call_id in self._progress.keys() | self._said.keys():
            values = {f"v_{k}": v for k, v in self._progress.get(call_id, {}).items()}
            if call_id in self._said:
                values["v_said"] = " ".join(self._said[call_id])
            values["v_call_id"] = call_id
            shapes.setdefault(tuple(sorted(values)), []).append(values)
        c = schema.calls.c
        for shape, params in shapes.items():
            columns: dict[str, Any] = {
                key[2:]: bindparam(key) for key in shape if key not in ("v_call_id", "v_said")
            }
            if "v_said" in shape:
                columns["transcript"] = func.trim(c.transcript + " " + bindparam("v_said"))
            await self.conn.execute(
                update(schema.calls).where(c.call_id == bindparam("v_call_id")).values(columns),
                params,
            )
