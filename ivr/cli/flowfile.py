"""The ``--flows FILE`` option shared by commands that read flows, and loading it for them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.flows.flowset import FlowSet


def add_flows_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--flows FILE`` (default ``flows.yaml`` in the current directory)."""
    parser.add_argument(
        "--flows", type=Path, default=Path("flows.yaml"), metavar="FILE",
        help="flows file to read, with its includes (default: flows.yaml)",
    )


def load_or_report(path: Path) -> FlowSet | None:
    """Load *path*; on failure print why (and how to see every problem) and return ``None``."""
    from ivr.flows.loader import load_flowset

    try:
        return load_flowset(path)
    except Exception as exc:  # any reason a file cannot be used; the message is the point
        print(f"ivr: cannot load {path}: {exc}", file=sys.stderr)
        print(f"run 'ivr validate {path}' to see every problem with its line", file=sys.stderr)
        return None
