"""``ivr simulate FLOW``: walk a flow without a phone, typed or scripted (``--input``).

With ``--json`` the standard output is exactly one JSON object: everything meant
for a person (the prompts, the interactive question) goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from ivr.cli.flowfile import add_flows_argument, load_or_report
from ivr.flows import effects as fx
from ivr.simulate.driver import Simulation, interactive, queue_statuses, run_flow, scripted
from ivr.simulate.inputs import HELP
from ivr.simulate.phone import Words


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("flow", help="flow name, e.g. main")
    add_flows_argument(parser)
    parser.add_argument("--input", "-i", action="append", default=None, metavar="INPUT",
                        help=f"caller input, repeatable: {HELP}")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object at the end (prompts go to stderr)")
    parser.add_argument("--caller", default="+15550100", help="caller ID (default +15550100)")
    parser.add_argument("--at", type=_when, default=None,
                        help="ISO time for hours checks, e.g. 2026-12-25T10:00-05:00 "
                             "(no offset: this machine's time zone)")
    parser.add_argument("--queue", action="append", default=[], metavar="NAME:available=N,wait=S",
                        help="live state of a queue for branches and callback offers")
    parser.add_argument("--demo-backend", action="store_true",
                        help="serve the demo's balance lookup (127.0.0.1:8099, account 123456, "
                             "PIN 4321) during the call, as `ivr demo` does")


def _when(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()


def _typed(out: TextIO) -> Words:
    async def ask(gather: fx.Gather, entered: str) -> str | None:
        wants = []
        if gather.digits:
            wants.append("more keys" if entered else "keys")
        if gather.speech:
            wants.append("say:…")
        shown = "•" * len(entered) if gather.sensitive else entered  # a PIN is not echoed
        so_far = f" {shown}…" if entered else ""
        print(f"[{gather.node}]{so_far} {' or '.join(wants)}> ", end="", file=out, flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        return line.rstrip("\n") if line else None

    return interactive(ask)


@contextlib.asynccontextmanager
async def _demo_backend(wanted: bool, out: TextIO) -> AsyncIterator[None]:
    if not wanted:
        yield
        return
    from ivr.demo import backend

    try:
        runner = await backend.start()
    except OSError as exc:
        # Something (`ivr demo`, most likely) already serves the port: use it.
        print(f"ivr simulate: demo backend not started ({exc.strerror}); "
              "using what serves 127.0.0.1:8099", file=out)
        yield
        return
    try:
        yield
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """Run the simulated call; exit 0 when it ended, 2 when the flows cannot be loaded."""
    flowset = load_or_report(args.flows)
    if flowset is None:
        return 2
    if args.flow not in flowset.flows:
        print(f"ivr: no flow {args.flow!r}; flows: {', '.join(flowset.flows)}", file=sys.stderr)
        return 2
    human = sys.stderr if args.json else sys.stdout
    source = scripted(args.input) if args.input is not None else _typed(human)

    def show(text: str) -> None:
        if args.input is None or not args.json:
            print(f"  ♪ {text}", file=human)

    async def call() -> Simulation:
        async with _demo_backend(args.demo_backend, sys.stderr):
            return await run_flow(flowset, args.flow, source, caller=args.caller, at=args.at,
                                  queues=queue_statuses(args.queue), on_prompt=show)

    sim = asyncio.run(call())
    if args.json:
        print(json.dumps(sim.as_json(), ensure_ascii=False))
    else:
        _report(sim)
    return 0


def _report(sim: Simulation) -> None:
    result = sim.as_json()
    for note in sim.notes:
        print(f"  · {note}")
    for lookup in result["lookups"]:
        if not lookup["ok"]:
            print(f"  · lookup at {lookup['node']} failed: {lookup['error']} ({lookup['url']})")
    print(f"outcome: {result['outcome']}" + (f" (queue {result['queue']})"
                                              if result["queue"] else ""))
    print(f"path: {' > '.join(result['path'])}")
