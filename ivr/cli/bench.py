"""``ivr bench <name>``: each benchmark is ``ivr/bench/<name>.py`` with add_arguments/run."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Protocol, cast

BENCHES: dict[str, str] = {
    "agi": "FastAGI service vs a bare asyncio responder: calls/s, turnaround, memory",
    "sip": "real SIP callers (sipp) through Asterisk: the IVR vs the same menu in dialplan",
    "asr": "Vosk real-time factor and streams per core",
    "engine": "flow engine steps per second",
    "replay": "replaying 10,000 stored calls through a flows file: seconds, calls/s",
}


class _Bench(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Bench:
    return cast(_Bench, importlib.import_module(f"ivr.bench.{name}"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per benchmark; only the chosen one's module is imported."""
    sub = parser.add_subparsers(dest="bench", metavar="NAME")
    argv = sys.argv[1:]
    chosen = argv[argv.index("bench") + 1] if "bench" in argv[:-1] else None
    for name, help_text in BENCHES.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            _load(name).add_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark."""
    if not args.bench:
        print("usage: ivr bench {" + ",".join(BENCHES) + "} ...", file=sys.stderr)
        return 2
    try:
        bench = _load(args.bench)
    except ModuleNotFoundError:
        print(f"ivr bench {args.bench}: not available yet", file=sys.stderr)
        return 2
    return bench.run(args)
