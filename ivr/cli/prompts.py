"""``ivr prompts build|list``: synthesise the flows' text prompts into ``recordings/prompts/``.

Files are named by a hash of text, voice and language, so a second run
rebuilds nothing and an edited prompt simply gets a new file; ``--check``
reports missing audio and leftovers without building, ``--prune`` removes the
leftovers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.cli.flowfile import add_flows_argument, load_or_report
from ivr.prompts.audio import audio_file
from ivr.prompts.build import Status, build, check, prune
from ivr.prompts.catalog import Catalog, Entry, build_catalog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``build`` and ``list``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    builder = actions.add_parser("build", help="synthesise missing prompt audio",
                                 description="Synthesise every static text prompt into "
                                 "recordings/prompts/, named by a hash of text, voice "
                                 "and language; unchanged prompts are never rebuilt.")
    listing = actions.add_parser("list", help="show every prompt, where it is used, its file")
    for sub in (builder, listing):
        add_flows_argument(sub)
        sub.add_argument(
            "--recordings", type=Path, default=None, metavar="DIR",
            help="recordings folder (default: 'recordings' beside the flows file)",
        )
    builder.add_argument("--check", action="store_true",
                         help="only report missing or stale audio (exit 1 if any)")
    builder.add_argument("--prune", action="store_true",
                         help="delete WAVs in recordings/prompts/ that no prompt uses any more")
    builder.add_argument("-v", "--verbose", action="store_true", help="name each file built")


def run(args: argparse.Namespace) -> int:
    """Run ``build`` or ``list``."""
    flows = Path(args.flows)
    flowset = load_or_report(flows)
    if flowset is None:
        return 1
    recordings: Path = args.recordings or flows.parent / "recordings"
    catalog = build_catalog(flowset)
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.action == "list":
        _list(catalog, recordings)
        return 0
    if args.check:
        return _check(catalog, recordings, args.prune)
    return _build(catalog, recordings, args.prune, args.verbose)


def _build(catalog: Catalog, recordings: Path, also_prune: bool, verbose: bool) -> int:
    def progress(entry: Entry, path: Path) -> None:
        if verbose:
            print(f"building {path.name}  [{entry.prompt.language}] {_quote(entry)}")

    result = build(catalog, recordings, progress)
    for entry, reason in result.failed:
        print(f"FAILED {_where(entry)}: {reason}", file=sys.stderr)
    status = check(catalog, recordings)
    _report_recordings(status)
    removed = prune(status.stale) if also_prune else 0
    print(
        f"{len(result.built)} built, {len(result.skipped)} skipped (up to date), "
        f"{len(result.failed)} failed; {len(catalog.dynamic)} prompts with variables "
        f"are synthesised during calls; audio in {recordings / 'prompts'}"
    )
    if removed:
        print(f"{removed} stale files removed")
    elif status.stale:
        print(f"{len(status.stale)} stale files (no prompt uses them); remove with --prune")
    return 1 if result.failed else 0


def _check(catalog: Catalog, recordings: Path, also_prune: bool) -> int:
    status = check(catalog, recordings)
    for entry in status.missing:
        print(f"missing: {_where(entry)} [{entry.prompt.language}] {_quote(entry)}")
    for path in status.stale:
        print(f"stale: {path}" + (" (removed)" if also_prune else ""))
    _report_recordings(status)
    stale = 0 if also_prune else len(status.stale)
    if also_prune:
        prune(status.stale)
    print(
        f"{len(status.present)} up to date, {len(status.missing)} missing, {len(status.stale)} "
        f"stale, {len(status.missing_recordings)} recordings missing"
    )
    if status.missing:
        print("run 'ivr prompts build' to synthesise the missing audio")
    return 1 if (status.missing or stale or status.missing_recordings) else 0


def _report_recordings(status: Status) -> None:
    for entry in status.missing_recordings:
        print(f"no recording: {entry.prompt.file} (used by {_where(entry)}); record it")


def _list(catalog: Catalog, recordings: Path) -> None:
    for entry in catalog.static:
        path = audio_file(entry.prompt, recordings)
        state = "ok" if path.is_file() else "missing"
        print(f"{state:8} {path.name}  [{entry.prompt.language}] {_quote(entry)}"
              f"  ({_where(entry)})")
    for entry in catalog.dynamic:
        print(f"{'call':8} {'(made during the call)':37}  [{entry.prompt.language}] "
              f"{_quote(entry)}  ({_where(entry)})")
    for entry in catalog.files:
        path = audio_file(entry.prompt, recordings)
        state = "ok" if path.is_file() else "missing"
        print(f"{state:8} {entry.prompt.file}  (recording; {_where(entry)})")


def _where(entry: Entry) -> str:
    more = f" and {len(entry.where) - 1} more" if len(entry.where) > 1 else ""
    return entry.where[0] + more


def _quote(entry: Entry) -> str:
    text = " ".join((entry.prompt.text or "").split())
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'
