"""``ivr graph FLOW -o FILE.svg|FILE.png``: draw a flow so ops can see it before shipping it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from ivr.cli.flowfile import add_flows_argument, load_or_report
from ivr.flows.dot import FORMATS, Format, GraphvizError
from ivr.flows.graph import render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``graph`` options."""
    parser.add_argument("flow", help="name of the flow to draw (e.g. main)")
    parser.add_argument(
        "-o", "--output", required=True,
        help="image file to write; its suffix (.svg or .png) picks the format; '-' for stdout",
    )
    parser.add_argument("--format", choices=FORMATS, help="image format (default: from -o suffix)")
    add_flows_argument(parser)
    parser.add_argument(
        "--highlight", default="", metavar="A,B,C",
        help="comma-separated node names of a caller's path to colour",
    )


def run(args: argparse.Namespace) -> int:
    """Draw the flow; exit 1 with a one-line reason when that is impossible."""
    fmt = _format(args.output, args.format)
    if fmt is None:
        print(
            f"ivr graph: cannot tell the image format of {args.output!r}; "
            "name it .svg or .png, or pass --format",
            file=sys.stderr,
        )
        return 2
    flowset = load_or_report(Path(args.flows))
    if flowset is None:
        return 1
    highlight = [name.strip() for name in args.highlight.split(",") if name.strip()]
    try:
        image = render(flowset, args.flow, fmt, highlight=highlight)
    except (ValueError, GraphvizError) as exc:
        print(f"ivr graph: {exc}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.buffer.write(image)
        sys.stdout.buffer.flush()
    else:
        Path(args.output).write_bytes(image)
        print(f"wrote {args.output} ({fmt}, flow {args.flow!r})", file=sys.stderr)
    return 0


def _format(output: str, explicit: str | None) -> Format | None:
    if explicit is not None:
        return cast(Format, explicit)
    suffix = Path(output).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None
