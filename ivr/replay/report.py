"""The replay of a period: stored calls in, per-call results and totals out.

Only what the call list already shows is printed (call id, time, node names,
outcomes); caller numbers, transcripts and stand-ins never appear.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.calls.query import CallFilter, iter_calls
from ivr.calls.store import SqlStore
from ivr.flows.flowset import FlowSet
from ivr.replay.drive import CallResult, replay

#: Calls read from the store at a time (bounds memory on a long period).
_BATCH = 2000


@dataclass
class Report:
    """Every call replayed, and the totals the command prints."""

    results: list[CallResult] = field(default_factory=list)

    @property
    def by_status(self) -> Counter[str]:
        """Calls per status (same, rerouted, changed, not_replayable)."""
        return Counter(r.status for r in self.results)

    @property
    def outcomes(self) -> Counter[tuple[str, str]]:
        """(old outcome, new outcome) → calls, over the calls that could be replayed."""
        return Counter((r.old.label, r.new.label) for r in self.results if r.new is not None)

    @property
    def divergences(self) -> Counter[str]:
        """Node where the new path leaves the old one → calls."""
        return Counter(r.diverged_at for r in self.results
                       if r.diverged_at is not None and r.status != "same")

    def to_json(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``)."""
        return {
            "calls": len(self.results),
            "by_status": dict(self.by_status),
            "outcomes": [{"old": o, "new": n, "calls": c}
                         for (o, n), c in sorted(self.outcomes.items())],
            "divergences": dict(self.divergences.most_common()),
            "results": [_result_json(r) for r in self.results if r.status != "same"],
        }


def _result_json(r: CallResult) -> dict[str, Any]:
    return {
        "call_id": r.call_id, "started_at": r.started_at.isoformat(), "status": r.status,
        "old_path": list(r.old_path), "old_outcome": r.old.label,
        "new_path": list(r.new_path), "new_outcome": r.new.label if r.new else None,
        "diverged_at": r.diverged_at, "reason": r.reason, "stopped_at": r.stopped_at,
        "notes": list(r.notes),
    }


def replay_all(flowset: FlowSet, records: Iterable[Any]) -> Report:
    """Replay each record through *flowset*."""
    return Report([replay(flowset, record) for record in records])


async def replay_period(store: SqlStore, flowset: FlowSet, since: dt.datetime,
                        until: dt.datetime | None = None, flow: str | None = None) -> Report:
    """Replay the stored calls that started in [since, until) through *flowset*, oldest first."""
    summaries = await iter_calls(store, CallFilter(since=since, until=until, flow=flow))
    ids = [s.call_id for s in reversed(summaries)]
    report = Report()
    for i in range(0, len(ids), _BATCH):
        records = await store.get_many(ids[i:i + _BATCH])
        report.results.extend(replay(flowset, record) for record in records)
    return report


def report_text(report: Report) -> str:
    """The report as text: totals, the outcome table, divergence nodes, then each changed call."""
    s = report.by_status
    lines = [f"{len(report.results)} calls replayed: {s['same']} end the same way, "
             f"{s['rerouted']} take another path to the same end, {s['changed']} end "
             f"differently, {s['not_replayable']} not replayable", ""]
    moved = {k: v for k, v in report.outcomes.items() if k[0] != k[1]}
    if moved:
        lines.append("old outcome → new outcome                          calls")
        for (old, new), count in sorted(moved.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {old[:24]:24} → {new[:24]:24} {count:6}")
        lines.append("")
    if report.divergences:
        lines.append("paths part at        calls")
        for node, count in report.divergences.most_common():
            lines.append(f"  {node[:18]:18} {count:6}")
        lines.append("")
    for r in report.results:
        if r.status == "same":
            continue
        lines.append(f"{r.call_id}  {r.started_at:%Y-%m-%d %H:%M}  {r.status}")
        lines.append(f"  old: {' > '.join(r.old_path)}  => {r.old.label}")
        if r.new is not None:
            lines.append(f"  new: {' > '.join(r.new_path)}  => {r.new.label}")
        else:
            lines.append(f"  not replayable from {r.stopped_at or 'the start'}: {r.reason}")
        lines.extend(f"  note: {note}" for note in r.notes)
    return "\n".join(lines)
