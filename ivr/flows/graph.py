"""A picture of one flow: menus and their options, retries, exits and outcomes.

:func:`to_dot` turns a flow into Graphviz DOT text (pure); :func:`render` lays
it out with Graphviz ``dot`` into SVG or PNG. ``trace`` lights exactly the edges
a caller took, numbered in order (``ivr.flows.graph_path`` works them out from
the call's timeline), which is how the supervisor dashboard shows a call's
journey; the heat map overlays traffic (``ivr.flows.graph_heat``). Every SVG
node's ``<title>`` is the node's name.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import assert_never

from ivr.flows import nodes as n
from ivr.flows.dot import Digraph, Format, GraphvizError, HtmlLabel, html, html_label, run_dot
from ivr.flows.flowset import FlowSet
from ivr.flows.graph_heat import Overlay, apply_overlay
from ivr.flows.graph_path import Hop, taken_edges
from ivr.flows.graph_style import FAIL, LOOKS, MUTED, VISITED_FILL, VISITED_LINE
from ivr.flows.graph_text import (
    condition_text,
    excerpt,
    keys_text,
    option_text,
    queue_lines,
    set_lines,
    short_url,
)
from ivr.flows.model import Flow, Settings

__all__ = ["Format", "GraphvizError", "render", "to_dot"]

#: ID of the synthetic "a call arrives" node (parentheses: no flow node is named so).
ENTRY = "(start)"


def to_dot(
    flowset: FlowSet, flow_name: str, highlight: Sequence[str] = (), taken: Sequence[Hop] = (),
    overlay: Overlay | None = None,
) -> str:
    """Return DOT text drawing *flow_name*; *highlight* is a call's path of node names.

    *taken* (from :func:`ivr.flows.graph_path.hops`) is better: it lights exactly the
    edges the caller took, numbered in order, rather than every edge between two
    visited nodes. *overlay* draws traffic figures (see :mod:`ivr.flows.graph_heat`).

    Path entries may be plain node names or qualified ``flow.node`` / ``flow:node``;
    entries in another flow light up that flow's "go to" box. Raises
    :class:`ValueError` when no flow has that name.
    """
    flow = flowset.flows.get(flow_name)
    if flow is None:
        known = ", ".join(sorted(flowset.flows)) or "none"
        raise ValueError(f"no flow named {flow_name!r} (flows: {known})")
    builder = _Builder(flowset.settings, flow_name, flow)
    builder.build()
    builder.highlight(highlight)
    builder.trace(taken)
    if overlay is not None:
        apply_overlay(builder.graph, builder.keys, builder.drawn, overlay)
    return builder.graph.source()


def render(
    flowset: FlowSet,
    flow_name: str,
    fmt: Format,
    highlight: Sequence[str] = (),
    timeout: float = 30.0,
    taken: Sequence[Hop] = (),
    overlay: Overlay | None = None,
) -> bytes:
    """Draw *flow_name* as ``svg`` or ``png`` bytes (see :func:`to_dot` for *highlight*).

    Raises :class:`GraphvizError` when Graphviz is missing or fails.
    """
    return run_dot(to_dot(flowset, flow_name, highlight, taken, overlay), fmt, timeout=timeout)


class _Builder:
    def __init__(self, settings: Settings, flow_name: str, flow: Flow) -> None:
        self.settings = settings
        self.flow_name = flow_name
        self.flow = flow
        self.language = flow.language or settings.default_language
        self.graph = Digraph()
        #: Label rows and style of each drawn node, to amend after all edges are known.
        self.drawn: dict[str, tuple[list[str], str]] = {}
        #: Each edge's key (see :mod:`ivr.flows.graph_path`), by its index in ``graph.edges``.
        self.keys: list[str | None] = []

    # -- whole graph ---------------------------------------------------------

    def build(self) -> None:
        g = self.graph
        g.graph.update(
            rankdir="TB", fontname="Helvetica", bgcolor="white", pad="0.3", nodesep="0.35",
            ranksep="0.55", labelloc="t", label=self._title(),
            # Options keep their YAML order left to right.
            ordering="out",
        )
        g.node_defaults.update(
            fontname="Helvetica", fontsize="11", penwidth="1.4", margin="0.12,0.06"
        )
        g.edge_defaults.update(fontname="Helvetica", fontsize="9", color="#374151", arrowsize="0.7")
        g.node(ENTRY, label="call", shape="circle", style="filled", fillcolor="#111827",
               color="#111827", fontcolor="white", fontsize="10", width="0.55", fixedsize="true",
               tooltip="a call enters this flow here")
        self._edge(ENTRY, self.flow.start, key="start", penwidth="1.6")
        for name, node in self.flow.nodes.items():
            self._node(name, node)
        self._mark_unreachable()

    def _mark_unreachable(self) -> None:
        """Flag nodes no path from the start leads to (the validator warns about them too)."""
        seen, todo = {ENTRY}, [ENTRY]
        while todo:
            tail = todo.pop()
            for t, head, _attrs in self.graph.edges:
                if t == tail and head not in seen:
                    seen.add(head)
                    todo.append(head)
        for name in self.flow.nodes:
            if name in seen:
                continue
            rows, style = self.drawn[name]
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}"><I>unreachable</I></FONT>')
            self.graph.node(name, label=html_label("<BR/>".join(rows)),
                            style=style if "dashed" in style else style + ",dashed")

    def _title(self) -> HtmlLabel:
        head = f"Flow “{self.flow_name}”"
        if self.flow.description:
            head += f" — {self.flow.description}"
        rows = [f'<FONT POINT-SIZE="16"><B>{html(head)}</B></FONT>']
        keys = keys_text(self.settings.keys, self.settings.operator_queue)
        if keys:
            note = f"Keys in every menu unless noted: {keys}"
            rows.append(f'<FONT POINT-SIZE="10" COLOR="{MUTED}">{html(note)}</FONT>')
        rows.append(
            # One text run: dot places separate runs by its own font metrics, which leaves a
            # gap when the browser draws the SVG with another font.
            f'<FONT POINT-SIZE="10" COLOR="{MUTED}">'
            + html(f"dashed: retries and failure exits · prompts shown in {self.language}")
            + "</FONT>"
        )
        return html_label("<BR/>".join(rows) + "<BR/> ")

    # -- one node ------------------------------------------------------------

    def _node(self, name: str, node: n.Node) -> None:
        kind: str = node.type
        details: list[str] = []
        prompt: str | None = None
        warn: str | None = None
        match node:
            case n.Menu():
                self._menu(name, node, details)
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.Collect():
                target = f"→ {{{node.variable}}}"
                digits = (f"{node.min_digits}" if node.min_digits == node.max_digits
                          else f"{node.min_digits}–{node.max_digits}")
                what = "speech" if node.input == "speech" else f"{digits} digits"
                details.append(f"collect {what} {target}")
                if node.confirm:
                    details.append("read back to confirm")
                if node.sensitive:
                    warn = "SENSITIVE · never stored or logged"
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
                self._edge(name, node.next, "confirmed" if node.confirm else "entered")
                self._retries(name, node)
            case n.Survey():
                scale = "1–5" if node.kind == "csat" else "0–10"
                details.append(f"{node.kind.upper()} survey, {scale}")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
                if node.next:
                    self._edge(name, node.next, "scored")
                else:
                    details.append("then hang up")
                self._retries(name, node)
            case n.Play():
                details.append("play")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
                self._edge(name, node.next)
            case n.Record():
                details.append(f"record → {{{node.variable}}} · max {node.max_seconds} s")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
                self._edge(name, node.next)
            case n.Branch():
                details.append("branch")
                for i, case in enumerate(node.cases):
                    self._edge(name, case.next, condition_text(case.when), key=f"case:{i}")
                self._edge(name, node.default, "else", key="else", color=MUTED,
                           fontcolor=MUTED)
            case n.Split():
                details.append(f"A/B split · salt {node.salt}")
                if node.starts or node.ends:
                    details.append(f"{node.starts or '…'} to {node.ends or '…'}")
                for arm in node.branches:
                    self._edge(name, arm.next, f"{arm.name} · {arm.percent:g}%",
                               key=f"split:{arm.name}")
                if node.default is not None:
                    self._edge(name, node.default, "outside dates", key="else", color=MUTED,
                               fontcolor=MUTED)
            case n.Lookup():
                details.append(f"lookup {node.method} → {{{node.result}}}")
                details.append(f"{short_url(node.url)} · {node.timeout:g} s")
                self._edge(name, node.next, "ok", key="ok")
                self._edge(name, node.on_error, "error / timeout", key="error", style="dashed",
                           color=FAIL, fontcolor=FAIL)
            case n.Set():
                details.extend(set_lines(node))
                self._edge(name, node.next)
            case n.QueueNode():
                details.extend(queue_lines(node))
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.Transfer():
                details.append(f"transfer to {node.target}")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.Voicemail():
                details.append(f"voicemail → mailbox {node.mailbox} · max {node.max_seconds} s")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.Hangup():
                if node.outcome == "self_service":
                    kind = "self_service"
                    details.append("hang up · resolved by self-service")
                else:
                    details.append("hang up")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.CallbackNode():
                when = f" · after {node.after}" if node.after else ""
                details.append(f"callback → queue {node.queue}{when}")
                if node.calendar:
                    details.append(f"in hours of {node.calendar}")
                prompt = excerpt(node.prompt, self.language, self.settings.default_language)
            case n.Goto():
                at = f" at {node.node}" if node.node else ""
                details.append(f"go to flow {node.flow}{at}")
            case _:
                assert_never(node)  # a new node kind must be drawn (mypy checks)
        self._draw(name, kind, details, prompt, warn, tooltip=node.description)
        if isinstance(node, n.Collect) and node.sensitive:
            self.graph.node(name, color=FAIL, penwidth="2.6")

    def _menu(self, name: str, node: n.Menu, details: list[str]) -> None:
        inputs = node.input or ["dtmf", "speech"]
        details.append("menu · " + " + ".join("keys" if i == "dtmf" else "speech" for i in inputs))
        if node.keys is not None and node.keys != self.settings.keys:
            details.append("keys here: " + (keys_text(node.keys) or "none"))
        for option in node.options:
            self._edge(name, option.next, option_text(option), key=f"option:{option.name}")
        self._retries(name, node)

    def _draw(
        self, node_id: str, kind: str, details: Sequence[str], prompt: str | None,
        warn: str | None = None, tooltip: str | None = None, title: str | None = None,
    ) -> None:
        look = LOOKS[kind]
        rows = [f"<B>{html(title or node_id)}</B>"]
        rows += [f'<FONT POINT-SIZE="9" COLOR="#374151">{html(d)}</FONT>' for d in details]
        if prompt:
            rows.append(f'<FONT POINT-SIZE="9" COLOR="#111827"><I>{html(prompt)}</I></FONT>')
        if warn:
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{FAIL}"><B>{html(warn)}</B></FONT>')
        self.drawn[node_id] = (rows, look.style)
        self.graph.node(
            node_id,
            label=html_label("<BR/>".join(rows)),
            shape=look.shape, style=look.style, fillcolor=look.fill, color=look.line,
            tooltip=tooltip or f"{kind} {node_id}",
            peripheries="2" if kind == "queue" else "1",
            **{"class": f"ivr-node ivr-{kind}"},
        )

    # -- edges ---------------------------------------------------------------

    def _retries(self, name: str, node: n.Menu | n.Collect | n.Survey) -> None:
        tries = node.max_attempts or self.settings.max_attempts
        timeout = node.timeout or self.settings.timeout
        self._edge(name, name, f"retry on no input\n({timeout:g} s) or no match", key="retry",
                   style="dashed", color=MUTED, fontcolor=MUTED, arrowsize="0.5")
        failure = node.on_failure
        if failure is None:
            failure = self._default_failure()
        self._edge(name, failure, f"after {tries} failed tr{'y' if tries == 1 else 'ies'}",
                   key="failure", style="dashed", color=FAIL, fontcolor=FAIL)
        # Separate counts and exits for silences and wrong answers (on_no_input/on_no_match).
        for fld, what in (("on_no_input", "no input"), ("on_no_match", "no match")):
            limit = getattr(node, fld, None)
            if limit is None or limit.next is None:
                continue
            times = limit.max or tries
            self._edge(name, limit.next, f"after {times} × {what}", key=fld, style="dashed",
                       color=FAIL, fontcolor=FAIL)

    def _default_failure(self) -> str:
        operator = self.settings.operator_queue
        if operator is None:
            node_id = "(hang up)"
            if node_id not in self.graph.nodes:
                self._draw(node_id, "hangup", ["default on failure"], None, title="hang up")
            return node_id
        node_id = f"queue:{operator}"
        if node_id not in self.graph.nodes:
            self._draw(node_id, "queue", [f"queue {operator}", "default on failure"], None,
                       title=operator)
        return node_id

    def _edge(self, tail: str, target: str, label: str | None = None, key: str = "next",
              **attrs: str) -> None:
        if label:
            attrs["label"] = label
        self.graph.edge(tail, self._target(target), **attrs)
        self.keys.append(key)

    def _target(self, target: str) -> str:
        """Map a ``next``-style target to a graph node ID, drawing other flows and typos."""
        if target.startswith("flow:"):
            if target not in self.graph.nodes:
                self._draw(target, "goto", ["go to flow"], None, title=target[5:])
            return target
        if target not in self.flow.nodes and target not in self.graph.nodes:
            self._draw(target, "missing", ["no such node"], None)
        return target

    # -- a call's path ---------------------------------------------------------

    def highlight(self, path: Sequence[str]) -> None:
        ids = [i for i in (self._path_id(entry) for entry in path) if i is not None]
        if not ids:
            return
        if ids[0] == self._target(self.flow.start):
            ids.insert(0, ENTRY)
        for node_id in ids:
            if node_id != ENTRY:
                self.graph.node(node_id, fillcolor=VISITED_FILL, color=VISITED_LINE,
                                penwidth="3")
        steps = set(itertools.pairwise(ids))
        for tail, head, attrs in self.graph.edges:
            if (tail, head) in steps:
                attrs.update(color=VISITED_LINE, penwidth="3", fontcolor=VISITED_LINE)

    def trace(self, steps: Sequence[Hop]) -> None:
        """Light the edges *steps* took in this flow; their labels get the step numbers."""
        ends = [(tail, head) for tail, head, _attrs in self.graph.edges]
        taken, visited = taken_edges(ends, self.keys, self.flow_name, steps)
        for node_id in visited:
            if node_id != ENTRY and node_id in self.graph.nodes:
                self.graph.node(node_id, fillcolor=VISITED_FILL, color=VISITED_LINE,
                                penwidth="3")
        for index, numbers in taken.items():
            attrs = self.graph.edges[index][2]
            order = "#" + ", #".join(str(n) for n in numbers)
            attrs["label"] = f"{order} {attrs['label']}" if attrs.get("label") else order
            attrs.update(color=VISITED_LINE, penwidth="3", fontcolor=VISITED_LINE,
                         **{"class": "ivr-taken"})

    def _path_id(self, entry: str) -> str | None:
        if entry in self.flow.nodes:
            return entry
        for sep in (".", ":"):
            flow, found, node = entry.partition(sep)
            if not found:
                continue
            if flow == self.flow_name and node in self.flow.nodes:
                return node
            if f"flow:{flow}" in self.graph.nodes:
                return f"flow:{flow}"
        return None
