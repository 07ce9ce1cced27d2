"""``ivr callbacks``: the callback requests the service owes, newest first, or one's history."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from ivr.callbacks.model import STATUSES, CallbackRequest
from ivr.callbacks.store import CallbackStore
from ivr.calls.store import open_store
from ivr.config import load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the filters and the ``show ID`` action."""
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="store URL (default: store.url from the config)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--status", choices=STATUSES, action="append",
                        help="only requests in this status (repeatable)")
    parser.add_argument("--limit", type=int, default=100, help="most requests (default 100)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print one request with its status history")
    show.add_argument("request_id", metavar="ID")


def run(args: argparse.Namespace) -> int:
    """List or show requests."""
    url = args.store or load_config(args.config).store.url
    return asyncio.run(_run(args, url))


async def _run(args: argparse.Namespace, url: str) -> int:
    calls = await open_store(url)
    store = CallbackStore(calls.engine)
    try:
        if args.action == "show":
            request = await store.get(args.request_id)
            if request is None:
                print(f"ivr callbacks: no request {args.request_id!r}; list them with "
                      "'ivr callbacks'", file=sys.stderr)
                return 1
            print(json.dumps(as_json(request), indent=2) if args.json else details(request))
            return 0
        requests = await store.recent(args.status, limit=args.limit)
    finally:
        await calls.close()
    now = dt.datetime.now(dt.UTC)
    if args.json:
        print(json.dumps([as_json(r, now) for r in requests], indent=2))
    elif not requests:
        print("no callback requests")
    else:
        print(f"{'requested (UTC)':19}  {'id':12} {'number':16} {'queue':12} {'status':10} "
              f"{'tries':>5}  {'next try / done (UTC)':21} {'wait':>8}")
        for r in requests:
            when = r.connected_at if r.status == "connected" else r.next_attempt_at
            wait = _duration(r.waited(now)) if r.connected_at or r.is_open else "-"
            print(f"{r.created_at:%Y-%m-%d %H:%M:%S}  {r.request_id[:12]:12} {r.number[:16]:16} "
                  f"{r.queue[:12]:12} {r.status:10} {r.attempts:>2}/{r.max_attempts:<2}  "
                  f"{when:%Y-%m-%d %H:%M:%S}   {wait:>8}")
    return 0


def details(request: CallbackRequest) -> str:
    """One request and its history, for ``ivr callbacks show``."""
    lines = [f"callback {request.request_id}  to {request.number}  queue {request.queue} "
             f"(priority {request.priority})  {request.status}",
             f"for call {request.call_id or '-'}  about {request.topic or '-'}  attempts "
             f"{request.attempts}/{request.max_attempts}  "
             f"expires {request.expires_at:%Y-%m-%d %H:%M %Z}"]
    if request.agent:
        lines.append(f"answered by {request.agent}")
    lines.append("")
    lines += [f"  {h.at:%Y-%m-%d %H:%M:%S}  {h.status:10} {h.note}" for h in request.history]
    return "\n".join(lines)


def as_json(request: CallbackRequest, now: dt.datetime | None = None) -> dict[str, Any]:
    """A request as JSON (times ISO 8601, the calendar by its time zone)."""
    data: dict[str, Any] = {
        "request_id": request.request_id, "call_id": request.call_id, "number": request.number,
        "queue": request.queue, "priority": request.priority, "status": request.status,
        "attempts": request.attempts, "max_attempts": request.max_attempts,
        "topic": request.topic, "agent": request.agent, "reason": request.reason,
        "timezone": request.calendar.timezone if request.calendar else None,
        "context": request.context,
    }
    for name in ("created_at", "not_before", "next_attempt_at", "expires_at", "connected_at"):
        value = getattr(request, name)
        data[name] = value.isoformat() if value else None
    data["wait_s"] = round(request.waited(now or dt.datetime.now(dt.UTC)), 1)
    if request.history:
        data["history"] = [{"at": h.at.isoformat(), "status": h.status, "note": h.note}
                           for h in request.history]
    return data


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
