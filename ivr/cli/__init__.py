"""The ``ivr`` console script.

Each sub-command lives in its own module under ``ivr.cli`` and exposes
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only
when their command runs, so ``ivr validate`` never pays for loading Vosk.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Protocol, cast

# name -> (module, one-line help). Order is the order shown in ``ivr --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("ivr.cli.demo", "run the service on SQLite with simulated calls and the dashboard"),
    "validate": ("ivr.cli.validate", "check flows.yaml and print FILE:LINE:COL errors"),
    "simulate": ("ivr.cli.simulate", "walk a flow in the terminal, without a phone"),
    "graph": ("ivr.cli.graph", "draw a flow as SVG or PNG"),
    "prompts": ("ivr.cli.prompts", "synthesise prompt audio into recordings/"),
    "serve": ("ivr.cli.serve", "answer FastAGI calls from Asterisk"),
    "asr": ("ivr.cli.asr", "recognise a WAV file with Vosk"),
    "calls": ("ivr.cli.calls", "list or show stored calls"),
    "replay": ("ivr.cli.replay", "replay stored calls against changed flows: what would change"),
    "callbacks": ("ivr.cli.callbacks", "list or show callback requests"),
    "users": ("ivr.cli.users", "manage dashboard users"),
    "dashboard": ("ivr.cli.dashboard", "run the supervisor dashboard"),
    "bench": ("ivr.cli.bench", "run benchmarks (agi, sip, asr, engine, replay)"),
}


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Command:
    module_name = COMMANDS[name][0]
    return cast(_Command, importlib.import_module(module_name))


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Build the parser, importing only the command named in *argv*."""
    parser = argparse.ArgumentParser(prog="ivr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (_module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            _load(name).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ivr`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    from ivr.config import ConfigError
    from ivr.flows.problems import FlowErrors

    try:
        return _load(args.command).run(args)
    except (ConfigError, FlowErrors) as exc:
        # A flows file that is missing or broken is the user's to fix: its FILE:LINE
        # messages, not a traceback (`ivr validate` prints the same ones).
        print(f"ivr {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `ivr calls | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
