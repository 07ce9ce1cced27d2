"""``ivr bench replay``: how long replaying a period of stored calls takes.

The seeded set is :mod:`ivr.bench.replay_calls` (every way a caller goes through
the shipped flows, repeated with different callers) made by the engine and
stored in a fresh SQLite store, as live calls would be. Two figures are timed:

- *replay*: :func:`ivr.replay.report.replay_period`, what ``ivr replay`` runs:
  reading each call back from the store and feeding it through the flows;
- *engine only*: the same records, already in memory, through
  :func:`ivr.replay.report.replay_all`: the call session and engine without the store
  (the share the store costs is the rest).

The statuses are printed too, so a run against a changed file (``--against``)
shows what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ivr.bench.replay_calls import SCRIPTS, records
from ivr.calls.record import CallRecord
from ivr.calls.store import open_store
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset
from ivr.replay.report import replay_all, replay_period


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr bench replay``."""
    parser.add_argument("--calls", type=int, default=10_000,
                        help="calls to seed (rounded up to whole sets of "
                             f"{len(SCRIPTS)} scripts; default 10000)")
    parser.add_argument("--flows", type=Path, default=Path("flows.yaml"),
                        help="the flows the calls are made with (the shipped flows.yaml)")
    parser.add_argument("--against", type=Path, default=None,
                        help="flows to replay through (default: --flows, unchanged)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


async def _timed_replay(calls: list[CallRecord], against: FlowSet) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ivr-bench-replay-") as tmp:
        store = await open_store(f"sqlite:///{Path(tmp) / 'calls.sqlite3'}")
        try:
            t0 = time.perf_counter()
            # Concurrent writes share commits, as many live calls' writes do.
            for i in range(0, len(calls), 200):
                await asyncio.gather(*(store.finish(r) for r in calls[i:i + 200]))
            await store.flush()
            seed_s = time.perf_counter() - t0
            since = min(r.started_at for r in calls) - dt.timedelta(seconds=1)
            t0 = time.perf_counter()
            report = await replay_period(store, against, since)
            replay_s = time.perf_counter() - t0
        finally:
            await store.close()
    return {"store_seed_s": seed_s, "replay_s": replay_s, "report": report}


def measure(made_with: FlowSet, against: FlowSet, calls: int) -> dict[str, Any]:
    """Seed *calls* engine-made calls, replay them from a store and in memory; the figures."""
    copies = max(1, math.ceil(calls / len(SCRIPTS)))
    t0 = time.perf_counter()
    seeded = records(made_with, copies)
    make_s = time.perf_counter() - t0
    timed = asyncio.run(_timed_replay(seeded, against))
    t0 = time.perf_counter()
    in_memory = replay_all(against, seeded)
    engine_s = time.perf_counter() - t0
    report = timed["report"]
    if report.by_status != in_memory.by_status:
        raise RuntimeError("the replay from the store and in memory disagree")
    replay_s = timed["replay_s"]
    return {
        "calls": len(report.results), "cores": os.cpu_count(),
        "make_s": make_s, "store_seed_s": timed["store_seed_s"],
        "replay_s": replay_s, "calls_per_s": len(report.results) / replay_s,
        "ms_per_call": 1000 * replay_s / len(report.results),
        "engine_only_s": engine_s,
        "by_status": dict(sorted(report.by_status.items())),
    }


def run(args: argparse.Namespace) -> int:
    """Print how long replaying the seeded calls took."""
    made_with = load_flowset(args.flows)
    against = load_flowset(args.against) if args.against else made_with
    m = measure(made_with, against, args.calls)
    m["flows"], m["against"] = str(args.flows), str(args.against or args.flows)
    if args.json:
        print(json.dumps(m))
        return 0
    statuses = ", ".join(f"{k} {v}" for k, v in m["by_status"].items())
    print(f"{m['calls']} engine-made calls through {m['flows']} ({m['make_s']:.1f} s to make, "
          f"{m['store_seed_s']:.1f} s to store in SQLite); {m['cores']} cores")
    print(f"replay through {m['against']}: {m['replay_s']:.2f} s from the store "
          f"({m['calls_per_s']:.0f} calls/s, {m['ms_per_call']:.2f} ms per call), "
          f"{m['engine_only_s']:.2f} s engine only")
    print(f"statuses: {statuses}")
    return 0
