"""``ivr validate [FILE]``: check a flows file; print ``FILE:LINE:COL: message (hint)`` lines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ivr.flows.loader import LoadedFlowSet, load_flowset
from ivr.flows.problems import FlowErrors, Problem
from ivr.flows.validate import check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("file", nargs="?", type=Path, default=Path("flows.yaml"),
                        help="flows file (default: flows.yaml)")
    parser.add_argument("--json", action="store_true", help="print problems as JSON")
    parser.add_argument("--no-speech", action="store_true",
                        help="skip the speech checks (model vocabulary, confusable options)")


def speech_problems(flowset: LoadedFlowSet) -> list[Problem]:
    """Speech warnings: words the language's model cannot hear, options too alike."""
    from ivr.flows.checks import vocabulary
    from ivr.speech.models import vocabularies_for

    languages = {f.language or flowset.settings.default_language for f in flowset.flows.values()}
    vocabs = vocabularies_for(languages)
    return [*vocabulary.unknown_words(flowset, vocabs), *vocabulary.confusable_options(flowset)]


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the file can be deployed (warnings allowed), 1 otherwise."""
    problems: list[Problem]
    try:
        flowset = load_flowset(args.file)
        problems = check(flowset)
        if not args.no_speech:
            problems = sorted(problems + speech_problems(flowset))
    except FlowErrors as exc:
        problems = exc.problems
    errors = [p for p in problems if p.severity == "error"]
    if args.json:
        print(json.dumps({"ok": not errors, "problems": [
            {"file": p.file, "line": p.line, "col": p.col, "severity": p.severity,
             "message": p.message, "hint": p.hint} for p in problems]}, ensure_ascii=False))
    else:
        for p in problems:
            print(p)
        summary = (f"{args.file}: OK" if not errors
                   else f"{args.file}: {len(errors)} error(s)")
        warnings = len(problems) - len(errors)
        print(summary + (f", {warnings} warning(s)" if warnings else ""))
    return 1 if errors else 0
