"""One transaction of the call store's writer: the batch's writes merged into few statements.

Most writes are a call arriving (one ``calls`` row) or a call moving on
(timeline rows plus the call's progress columns). Staged here, a batch of
hundreds of writes becomes one multi-row insert of calls, one of timeline
rows, one update of progress, one of finished calls and two for what AMI saw
after the IVR, run on the writer's own connection
(:mod:`ivr.calls.store.hot`) in one transaction.

Statements run in that fixed order, which keeps every write's effect as if
the writes had run one by one: a call's row exists before its timeline
(foreign key); its finish comes after its steps; what AMI saw after the
hand-off comes last, and only for a call that is stored. Timeline numbers
(``seq``) are given in submission order; those of calls this process has not
numbered yet are learnt with one query per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store import rows
from ivr.calls.store.hot import Statement, encode_json, encode_time

_BEGIN_COLUMNS = ("call_id", "linkedid", "instance", "flow", "flow_version", "caller", "dnid",
                  "language", "started_at", "last_event_at", "path", "variables", "transcript")
_FINISH_COLUMNS = ("language", "ended_at", "outcome", "outcome_node", "queue",
                   "transfer_target", "recording", "survey_kind", "survey_score",
                   "ivr_seconds", "path", "variables")
_TIMES = frozenset({"started_at", "last_event_at", "ended_at"})
_JSON = frozenset({"path", "variables"})

INSERT_CALL = (f"INSERT INTO calls ({', '.join(_BEGIN_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(_BEGIN_COLUMNS))}) ON CONFLICT DO NOTHING")
INSERT_TIMELINE = ("INSERT INTO call_timeline (call_id, seq, at, kind, node, data) "
                   "VALUES (?, ?, ?, ?, ?, ?)")
UPDATE_PROGRESS = ("UPDATE calls SET last_event_at = ?, last_node = COALESCE(?, last_node), "
                   "transcript = CASE WHEN ? = '' THEN transcript "
                   "ELSE TRIM(transcript || ' ' || ?) END WHERE call_id = ?")
UPDATE_FINISH = (f"UPDATE calls SET {', '.join(f'{c} = ?' for c in _FINISH_COLUMNS)} "
                 "WHERE call_id = ?")
UPDATE_AFTER = ("UPDATE calls SET after_ivr_status = ?, agent = ?, queue_wait_s = ?, "
                "talk_s = ? WHERE call_id = ?")
#: The after-IVR entry is added only to a stored call; PostgreSQL needs the types said.
INSERT_AFTER = {
    "sqlite": "INSERT INTO call_timeline (call_id, seq, at, kind, node, data) "
              "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM calls WHERE call_id = ?)",
    "postgresql": "INSERT INTO call_timeline (call_id, seq, at, kind, node, data) "
                  "SELECT ?, ?::integer, ?::timestamptz, ?::varchar, ?::varchar, ?::json "
                  "WHERE EXISTS (SELECT 1 FROM calls WHERE call_id = ?)",
}


@dataclass(frozen=True, slots=True)
class AfterIvr:
    """What AMI saw after the hand-off of one call."""

    call_id: str
    status: str
    agent: str | None
    wait_s: float | None
    talk_s: float | None
    entry: TimelineEntry


class Tx:
    """The writes of one batch, in submission order, and the statements they become."""

    def __init__(self, dialect: str, next_seq: dict[str, int]) -> None:
        self.dialect = dialect
        #: Next timeline seq per call in progress, shared by every transaction of the store.
        self._next_seq = next_seq
        self._ops: list[tuple[str, Any]] = []

    def add_call(self, record: CallRecord) -> None:
        """Stage a call's first row (ignored if the call is stored already)."""
        self._ops.append(("begin", record))

    def add_timeline(self, call_id: str, entries: Sequence[TimelineEntry]) -> None:
        """Stage timeline entries and what they say about where the call is."""
        if entries:
            self._ops.append(("append", (call_id, list(entries))))

    def finish(self, record: CallRecord, entries: Sequence[TimelineEntry]) -> None:
        """Stage a call's end: its row if missing, entries not stored yet, the outcome."""
        self._ops.append(("finish", (record, list(entries))))

    def after_ivr(self, after: AfterIvr) -> None:
        """Stage what AMI saw after the hand-off (a call not stored is left alone)."""
        self._ops.append(("after", after))

    def unknown(self) -> list[str]:
        """Calls whose next timeline number this process does not know yet."""
        ids = {_call_id(kind, value) for kind, value in self._ops if kind != "begin"}
        return sorted(ids - self._next_seq.keys())

    def plan(self, found: dict[str, int]) -> list[Statement]:
        """The statements of this batch, given the highest stored seq of the unknown calls."""
        for call_id in self.unknown():
            self._next_seq[call_id] = found[call_id] + 1 if call_id in found else 0
        calls: list[tuple[Any, ...]] = []
        timeline: list[tuple[Any, ...]] = []
        progress: dict[str, list[Any]] = {}
        finished: list[tuple[Any, ...]] = []
        after: list[tuple[Any, ...]] = []
        after_rows: list[tuple[Any, ...]] = []
        for kind, value in self._ops:
            if kind == "begin":
                calls.append(self._call_row(value))
            elif kind == "append":
                call_id, entries = value
                timeline += self._number(call_id, entries)
                self._progress(progress, call_id, entries)
            elif kind == "finish":
                record, entries = value
                calls.append(self._call_row(record))
                new = entries[self._next_seq[record.call_id]:]
                timeline += self._number(record.call_id, new)
                self._progress(progress, record.call_id, new)
                finished.append(self._finish_row(record))
                del self._next_seq[record.call_id]  # the call is over in this process
            else:
                a: AfterIvr = value
                after.append((a.status, a.agent, a.wait_s, a.talk_s, a.call_id))
                row = self._number(a.call_id, [a.entry])[0]
                after_rows.append((*row, a.call_id))
                self._next_seq.pop(a.call_id, None)
        out: list[Statement] = [(INSERT_CALL, calls), (INSERT_TIMELINE, timeline),
                                (UPDATE_PROGRESS, [(*p, p[2], call_id)
                                                   for call_id, p in progress.items()]),
                                (UPDATE_FINISH, finished), (UPDATE_AFTER, after),
                                (INSERT_AFTER[self.dialect], after_rows)]
        return [(sql, params) for sql, params in out if params]

    def _number(self, call_id: str, entries: Sequence[TimelineEntry]) -> list[tuple[Any, ...]]:
        first = self._next_seq[call_id]
        self._next_seq[call_id] = first + len(entries)
        return [(call_id, first + i, encode_time(e.at, self.dialect), e.kind, e.node,
                 encode_json(rows.jsonable(e.data))) for i, e in enumerate(entries)]

    def _progress(self, progress: dict[str, list[Any]], call_id: str,
                  entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        now = rows.progress(entries)
        said = rows.transcripts(entries)
        # [last_event_at, last_node, said]: the newest time and node win, speech adds up.
        current = progress.setdefault(call_id, [None, None, ""])
        current[0] = encode_time(now["last_event_at"], self.dialect)
        current[1] = now.get("last_node", current[1])
        current[2] = f"{current[2]} {said}".strip() if said else current[2]

    def _call_row(self, record: CallRecord) -> tuple[Any, ...]:
        values = rows.begin_row(record)
        return tuple(self._encode(c, values[c]) for c in _BEGIN_COLUMNS)

    def _finish_row(self, record: CallRecord) -> tuple[Any, ...]:
        values = rows.finish_row(record)
        return (*(self._encode(c, values[c]) for c in _FINISH_COLUMNS), record.call_id)

    def _encode(self, column: str, value: Any) -> Any:
        if column in _TIMES:
            return encode_time(value, self.dialect)
        if column in _JSON:
            return encode_json(value)
        return str(value) if column == "outcome" and value is not None else value


def _call_id(kind: str, value: Any) -> str:
    if kind == "append":
        return str(value[0])
    if kind == "finish":
        return str(value[0].call_id)
    return str(value.call_id)
