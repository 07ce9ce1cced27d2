"""``ivr simulate FLOW``: walk a flow without a phone, typed or scripted (``--input``)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys

from ivr.cli.flowfile import add_flows_argument, load_or_report
from ivr.flows import effects as fx
from ivr.simulate.driver import InputSource, queue_statuses, run_flow, scripted
from ivr.simulate.inputs import HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("flow", help="flow name, e.g. main")
    add_flows_argument(parser)
    parser.add_argument("--input", "-i", action="append", default=None, metavar="INPUT",
                        help=f"caller input, repeatable: {HELP}")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.add_argument("--caller", default="+15550100", help="caller ID (default +15550100)")
    parser.add_argument("--at", type=_when, default=None,
                        help="ISO time for hours checks, e.g. 2026-12-25T10:00-05:00 "
                             "(no offset: this machine's time zone)")
    parser.add_argument("--queue", action="append", default=[], metavar="NAME:available=N,wait=S",
                        help="live state of a queue for branches and callback offers")


def _when(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()


def _interactive() -> InputSource:
    async def ask(gather: fx.Gather) -> str | None:
        wants = []
        if gather.digits:
            wants.append("keys")
        if gather.speech:
            wants.append("say:…")
        try:
            line = await asyncio.to_thread(input, f"[{gather.node}] {' or '.join(wants)}> ")
        except EOFError:
            return None
        return line

    return ask


def run(args: argparse.Namespace) -> int:
    """Run the simulated call; exit 0 when it ended, 2 when the flows cannot be loaded."""
    flowset = load_or_report(args.flows)
    if flowset is None:
        return 2
    if args.flow not in flowset.flows:
        print(f"ivr: no flow {args.flow!r}; flows: {', '.join(flowset.flows)}", file=sys.stderr)
        return 2
    source = scripted(args.input) if args.input is not None else _interactive()
    show = None if args.json else (lambda text: print(f"  ♪ {text}"))
    sim = asyncio.run(run_flow(flowset, args.flow, source, caller=args.caller, at=args.at,
                               queues=queue_statuses(args.queue), on_prompt=show))
    if args.json:
        print(json.dumps(sim.as_json(), ensure_ascii=False))
    else:
        result = sim.as_json()
        for note in sim.notes:
            print(f"  · {note}")
        print(f"outcome: {result['outcome']}" + (f" (queue {result['queue']})"
                                                  if result["queue"] else ""))
        print(f"path: {' > '.join(result['path'])}")
    return 0
