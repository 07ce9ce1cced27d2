"""Graphviz DOT text and the ``dot`` program that lays it out.

Everything that reaches DOT text passes through :func:`quote` (quoted strings:
IDs, plain labels, attributes) or :func:`html` (HTML-like labels), because
flow names, prompts and phrases come from ops staff and may hold quotes,
backslashes, angle brackets, newlines and any non-ASCII text ("español").
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Format = Literal["svg", "png"]
FORMATS: tuple[Format, ...] = ("svg", "png")

#: Resolution of PNG output; SVG is resolution-free.
PNG_DPI = 110


class GraphvizError(RuntimeError):
    """``dot`` is missing, failed, or took too long; the message says what to do."""


def quote(text: str) -> str:
    r"""Return *text* as a DOT quoted string whose rendered label reads exactly *text*.

    DOT's lexer only unescapes ``\"``, but labels are then read as escString, where
    ``\\`` is a backslash and ``\n`` a line break; control characters other than
    newline are dropped because Graphviz would print them raw.
    """
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char < " " or char == "\x7f":
            continue
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def html(text: str) -> str:
    """Escape *text* for an HTML-like label (``<…>``); newlines become ``<BR/>``."""
    escaped = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )
    lines = ["".join(c for c in line if c >= " " and c != "\x7f") for line in escaped.split("\n")]
    return '<BR ALIGN="CENTER"/>'.join(lines)


class HtmlLabel(str):
    """An HTML-like label, already escaped (see :func:`html`): written as ``<…>``, not quoted.

    A type of its own, so that a plain text which merely starts with ``<`` and ends with
    ``>`` (a prompt such as ``<>``) is quoted like any other text, never read as markup.
    """


def html_label(markup: str) -> HtmlLabel:
    """Wrap escaped HTML-like *markup* as a label."""
    return HtmlLabel(f"<{markup}>")


Attrs = Mapping[str, str]


def _attrs(attrs: Attrs) -> str:
    parts = []
    for key, value in attrs.items():
        if isinstance(value, HtmlLabel):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={quote(value)}")
    return "[" + ", ".join(parts) + "]"


@dataclass
class Digraph:
    """A directed graph being written; node IDs are kept verbatim (they become SVG titles)."""

    graph: dict[str, str] = field(default_factory=dict)
    node_defaults: dict[str, str] = field(default_factory=dict)
    edge_defaults: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def node(self, node_id: str, **attrs: str) -> None:
        """Add a node, or update the attributes of one already added."""
        self.nodes.setdefault(node_id, {}).update(attrs)

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        """Add an edge (both ends must be added as nodes by the time :meth:`source` runs)."""
        self.edges.append((tail, head, dict(attrs)))

    def source(self) -> str:
        """Return the DOT text."""
        lines = ["digraph flow {"]
        if self.graph:
            lines.append(f"  graph {_attrs(self.graph)};")
        if self.node_defaults:
            lines.append(f"  node {_attrs(self.node_defaults)};")
        if self.edge_defaults:
            lines.append(f"  edge {_attrs(self.edge_defaults)};")
        for node_id, attrs in self.nodes.items():
            lines.append(f"  {quote(node_id)} {_attrs(attrs)};")
        for tail, head, attrs in self.edges:
            lines.append(f"  {quote(tail)} -> {quote(head)} {_attrs(attrs)};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def run_dot(source: str, fmt: Format, timeout: float = 30.0, extra: Sequence[str] = ()) -> bytes:
    """Lay out *source* with Graphviz ``dot`` and return the image bytes.

    Raises :class:`GraphvizError` when ``dot`` is not installed, fails or
    exceeds *timeout* seconds.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {', '.join(FORMATS)}")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(
            "Graphviz 'dot' was not found on PATH; install it "
            "(Debian: apt-get install graphviz, or run scripts/setup-system)"
        )
    args = [exe, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={PNG_DPI}")
    args.extend(extra)
    try:
        done = subprocess.run(
            args, input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphvizError(f"dot took longer than {timeout:g} s; is the flow very large?") from exc
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GraphvizError(f"dot failed: {detail}")
    return done.stdout
