"""A variable used in a prompt, URL or condition must be set on some path to it.

Forward data flow over every flow at once (``goto`` joins flows): a node's
variables are the union over the ways in, plus what the node itself sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ivr.flows import nodes as n
from ivr.flows.checks.walk import NodeId, at, edges, node_path, prompt_parts, prompts, resolve
from ivr.flows.parts import PromptPart
from ivr.flows.problems import Problem
from ivr.flows.template import TemplateError, fields, root

if TYPE_CHECKING:
    from ivr.flows.loader import DocPath, LoadedFlowSet

#: Set on every call before the first node.
BUILTINS = frozenset({"caller", "dnid", "language", "call_id"})


def _defs(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, n.Collect | n.Record):
        out.add(node.variable)
    if isinstance(node, n.Lookup):
        out |= {node.result, *node.assign}
    if isinstance(node, n.Set):
        out |= set(node.variables)
    if isinstance(node, n.Survey):
        out.add("survey_score")
    if isinstance(node, n.QueueNode) and node.callback is not None:
        out.add("callback_number")
    return out


def _available(fs: LoadedFlowSet) -> dict[NodeId, set[str]]:
    into: dict[NodeId, set[str]] = defaultdict(set)
    for name, flow in fs.flows.items():
        into[(name, flow.start)] |= BUILTINS | set(flow.inputs)
    links = []
    for edge in edges(fs):
        target = resolve(fs, edge.source[0], edge.target)
        if target is None:
            continue
        node = fs.flows[edge.source[0]].nodes[edge.source[1]]
        extra = _defs(node) if edge.carries_defs else set()
        if isinstance(node, n.Menu):
            option_sets = {k for o in node.options for k in o.set}
            extra |= option_sets
        links.append((edge.source, target, extra))
    changed = True
    while changed:
        changed = False
        for src, dst, extra in links:
            new = into[src] | extra
            if not new <= into[dst]:
                into[dst] |= new
                changed = True
    return into


def _uses(fs: LoadedFlowSet) -> Iterator[tuple[NodeId, DocPath, str]]:
    """(node, path, template) for every template-bearing value in a node."""
    for path, value, owner in prompts(fs):
        if owner is None:
            continue
        for leaf, _lang, part in prompt_parts(value, path):
            text = part.text if isinstance(part, PromptPart) else part
            if text:
                yield owner, (leaf if isinstance(part, str) else (*leaf, "text")), text
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            here = (flow_name, name)
            if isinstance(node, n.Lookup):
                yield here, node_path(flow_name, name, "url"), node.url
                for key, value in node.headers.items():
                    yield here, node_path(flow_name, name, "headers", key), value
                yield from _body(here, node_path(flow_name, name, "body"), node.body)
            if isinstance(node, n.Set):
                for key, value in node.variables.items():
                    yield here, node_path(flow_name, name, "variables", key), value
            if isinstance(node, n.Transfer):
                yield here, node_path(flow_name, name, "target"), node.target
            if isinstance(node, n.Branch):
                for i, case in enumerate(node.cases):
                    if case.when.variable is not None:
                        path = node_path(flow_name, name, "cases", i, "when", "variable")
                        yield here, path, "{" + case.when.variable + "}"


def _body(here: NodeId, path: DocPath, value: Any) -> Iterator[tuple[NodeId, DocPath, str]]:
    if isinstance(value, str):
        yield here, path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _body(here, (*path, k), v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _body(here, (*path, i), v)


def unset_variables(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Report templates that are malformed or use a variable no path sets."""
    available = _available(fs)
    for node_id, path, text in _uses(fs):
        try:
            names = fields(text)
        except TemplateError as exc:
            yield at(fs, path, f"bad template: {exc}")
            continue
        here = fs.flows[node_id[0]].nodes[node_id[1]]
        # A collect's readback may use the value it just collected.
        own = _defs(here) if isinstance(here, n.Collect) else set()
        known = available.get(node_id, set()) | own
        for name in dict.fromkeys(names):
            if root(name) not in known:
                yield at(fs, path, f"variable {root(name)!r} is never set on any path to "
                         f"node {node_id[1]!r}",
                         "set it earlier (collect, set, lookup result) or fix the name")
