"""``ivr replay``: feed the stored calls of a period through changed flows; show what changes."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
from pathlib import Path

from ivr.calls.query import parse_filter
from ivr.calls.store import open_store
from ivr.cli.flowfile import add_flows_argument, load_or_report
from ivr.config import load_config
from ivr.flows.flowset import FlowSet
from ivr.replay.report import replay_period, report_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--since``, ``--until``, ``--flows``, ``--flow``, ``--config``/``--store``, ``--json``."""
    add_flows_argument(parser)
    parser.add_argument("--since", default="7d",
                        help="calls from: 7d, 24h, a day (YYYY-MM-DD) or an ISO time (default 7d)")
    parser.add_argument("--until", default=None, help="up to this day or ISO time")
    parser.add_argument("--flow", default=None, help="only calls that started in this flow")
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="store URL (default: store.url from the config)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def since_time(text: str, now: dt.datetime) -> dt.datetime:
    """``7d``/``24h`` before *now*, or a day / ISO time as ``ivr calls --since`` reads it."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*([dh])\s*", text)
    if match:
        amount = int(match.group(1))
        unit = dt.timedelta(days=1) if match.group(2) == "d" else dt.timedelta(hours=1)
        return now - amount * unit
    since = parse_filter({"since": text}).since
    if since is None:
        raise ValueError(f"--since {text!r}: write 7d, 24h, a day (2026-11-20) or an ISO time")
    return since


def run(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when the flows or the period cannot be read."""
    flowset = load_or_report(args.flows)
    if flowset is None:
        return 1
    url = args.store or load_config(args.config).store.url
    try:
        since = since_time(args.since, dt.datetime.now(dt.UTC))
        until = parse_filter({"until": args.until}).until if args.until else None
        return asyncio.run(_run(args, url, flowset, since, until))
    except ValueError as exc:
        print(f"ivr replay: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, url: str, flowset: FlowSet, since: dt.datetime,
               until: dt.datetime | None) -> int:
    store = await open_store(url)
    try:
        report = await replay_period(store, flowset, since, until, args.flow)
    finally:
        await store.close()
    print(json.dumps(report.to_json(), indent=2) if args.json else report_text(report))
    return 0
