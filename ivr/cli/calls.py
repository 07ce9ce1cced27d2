"""``ivr calls``: list stored calls with the dashboard's filters, or tell one call's journey."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from ivr.calls.journey import describe
from ivr.calls.query import OUTCOMES, CallSummary, iter_calls, parse_filter
from ivr.calls.record import CallRecord
from ivr.calls.store import SqlStore, open_store
from ivr.config import load_config

_FILTERS = ("since", "until", "caller", "flow", "outcome", "queue", "abandoned_at",
            "min_ivr_s", "max_ivr_s", "text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the list filters and the ``show ID`` action."""
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="store URL (default: store.url from the config)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--since", help="from this day (YYYY-MM-DD) or ISO time")
    parser.add_argument("--until", help="up to and including this day, or before an ISO time")
    parser.add_argument("--caller", help="caller number contains this")
    parser.add_argument("--flow", help="flow name")
    parser.add_argument("--outcome", choices=OUTCOMES)
    parser.add_argument("--queue", help="queue the call was handed to")
    parser.add_argument("--abandoned-at", dest="abandoned_at", metavar="NODE",
                        help="node where the caller gave up")
    parser.add_argument("--min-ivr-s", dest="min_ivr_s", help="at least this long in the IVR")
    parser.add_argument("--max-ivr-s", dest="max_ivr_s", help="at most this long in the IVR")
    parser.add_argument("--text", help="words the caller said (speech transcripts)")
    parser.add_argument("--limit", type=int, default=100, help="most calls to list (default 100)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print one call's journey")
    show.add_argument("call_id", metavar="ID")
    show.add_argument("--json", action="store_true", dest="show_json",
                      help="print the record as JSON")


def run(args: argparse.Namespace) -> int:
    """List or show calls; exit 1 with the reason when the filter or the ID is wrong."""
    url = args.store or load_config(args.config).store.url
    try:
        return asyncio.run(_run(args, url))
    except ValueError as exc:
        print(f"ivr calls: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, url: str) -> int:
    store = await open_store(url)
    try:
        if args.action == "show":
            return await _show(store, args.call_id, args.show_json or args.json)
        flt = parse_filter({name: getattr(args, name) for name in _FILTERS})
        calls = await iter_calls(store, flt, limit=args.limit)
    finally:
        await store.close()
    if args.json:
        print(json.dumps([_summary_json(c) for c in calls], indent=2))
    else:
        _print_table(calls)
    return 0


async def _show(store: SqlStore, call_id: str, as_json: bool) -> int:
    record = await store.get(call_id)
    if record is None:
        print(f"ivr calls: no call {call_id!r}; list them with 'ivr calls'", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(_jsonable(dataclasses.asdict(record)), indent=2))
    else:
        print(journey_text(record))
    return 0


def journey_text(record: CallRecord) -> str:
    """The record as a header and one line per timeline entry."""
    ended = record.outcome or "in progress (or cut off)"
    where = f" at {record.outcome_node}" if record.outcome_node else ""
    lines = [
        f"call {record.call_id}  flow {record.flow} ({record.flow_version})  "
        f"from {record.caller or 'unknown'} to {record.dnid or '-'}",
        f"started {record.started_at:%Y-%m-%d %H:%M:%S %Z}  outcome {ended}{where}"
        + (f"  queue {record.queue}" if record.queue else ""),
    ]
    if record.after_ivr_status:
        lines.append(f"after the IVR: {record.after_ivr_status}"
                     + (f" by {record.agent}" if record.agent else ""))
    if record.survey_score is not None:
        lines.append(f"survey: {record.survey_kind} {record.survey_score}")
    if record.recording:
        lines.append(f"recording: {record.recording}")
    lines.append("")
    for entry in record.timeline:
        offset = (entry.at - record.started_at).total_seconds()
        lines.append(f"  +{offset:7.2f}s  {(entry.node or ''):<18} {describe(entry)}")
    return "\n".join(lines)


def _print_table(calls: list[CallSummary]) -> None:
    if not calls:
        print("no calls match")
        return
    print(f"{'started (UTC)':19}  {'call id':22} {'caller':16} {'flow':10} "
          f"{'outcome':13} {'where':18} {'IVR s':>6}")
    for c in calls:
        secs = "" if c.ivr_seconds is None else f"{c.ivr_seconds:6.1f}"
        print(f"{c.started_at:%Y-%m-%d %H:%M:%S}  {c.call_id[:22]:22} "
              f"{(c.caller or '')[:16]:16} {c.flow[:10]:10} {(c.outcome or 'in progress'):13} "
              f"{(c.queue or c.where or '')[:18]:18} {secs:>6}")


def _summary_json(call: CallSummary) -> dict[str, Any]:
    data: dict[str, Any] = _jsonable(dataclasses.asdict(call))
    data["where"] = call.where
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
