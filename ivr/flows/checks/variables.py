"""A variable used in a prompt, URL or body must be set on every path to it.

Forward data flow over every flow at once (``goto`` joins flows). A node's
*definite* variables are the intersection over the ways in of what each way
carries: a lookup's result only on its ``next`` way (not ``on_error``), a
collect's variable only on ``next`` (not ``on_failure``), an option's ``set``
only on that option's way. A template field with a default (``{tier|standard}``)
may be unset; a branch condition only needs the variable set on *some* path
(``is_set`` is how a flow asks). A flow's start sees the built-ins and its
declared ``inputs``; a ``goto`` into a flow must have set those inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, assert_never

from ivr.flows import nodes as n
from ivr.flows.checks.walk import (
    Edge,
    NodeId,
    at,
    edges,
    node_path,
    prompt_parts,
    prompts,
    resolve,
)
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.parts import PromptPart
from ivr.flows.problems import Problem
from ivr.flows.template import TemplateError, root, template_fields
from ivr.flows.yamlread import DocPath

#: Set on every call before the first node.
BUILTINS = frozenset({"caller", "dnid", "language", "call_id"})

UseKind = Literal["prompt", "url", "header", "body", "set", "transfer", "condition"]


@dataclass(frozen=True, slots=True)
class Use:
    """A template written in a node: where, and what it feeds (a prompt, a request …)."""

    node: NodeId
    path: DocPath
    text: str
    kind: UseKind


def defs(node: n.Node) -> set[str]:
    """Variables a node sets when it goes on by its ``next`` (or an option / case).

    Every node kind is named, so a new kind cannot be forgotten here (mypy checks).
    """
    match node:
        case n.Collect() | n.Record():
            return {node.variable}
        case n.Lookup():
            return {node.result, *node.assign}
        case n.Set():
            return set(node.variables)
        case n.Survey():
            return {"survey_score"}
        case n.QueueNode():
            return {"callback_number"} if node.callback is not None else set()
        case (n.Menu() | n.Play() | n.Branch() | n.Split() | n.Transfer() | n.Voicemail()
              | n.Hangup() | n.CallbackNode() | n.Goto()):
            return set()
        case _:
            assert_never(node)


def _carried(fs: LoadedFlowSet, edge: Edge) -> set[str]:
    node = fs.flows[edge.source[0]].nodes[edge.source[1]]
    if edge.field[0] in ("on_failure", "on_error", "on_no_input", "on_no_match"):
        return set()  # the node gave up: nothing it would set is set
    out = defs(node)
    if isinstance(node, n.Menu) and edge.field[0] == "options":
        out |= set(node.options[int(edge.field[1])].set)
    return out


Meet = Callable[[set[str], set[str]], set[str]]


def _solve(fs: LoadedFlowSet, meet: Meet, unknown: set[str] | None) -> dict[NodeId, set[str]]:
    """Variables at each node's entry, met over the ways in (a fixed point).

    *unknown* None: a must-analysis (a flow's start is fixed to what any caller
    gets); else a may-analysis starting from *unknown*.
    """
    entry = {(name, flow.start): BUILTINS | set(flow.inputs) for name, flow in fs.flows.items()}
    links = [(e.source, dst, _carried(fs, e)) for e in edges(fs)
             if (dst := resolve(fs, e.source[0], e.target)) is not None
             and (unknown is not None or dst not in entry)]
    into: dict[NodeId, set[str] | None] = defaultdict(lambda: None if unknown is None else set())
    into.update({k: set(v) for k, v in entry.items()})
    changed = True
    while changed:
        changed = False
        for src, dst, extra in links:
            here = into[src]
            if here is None:
                continue  # nothing known reaches the source yet
            came = here | extra
            old = into[dst]
            new = came if old is None else meet(old, came)
            if new != old:
                into[dst] = new
                changed = True
    return {k: v for k, v in into.items() if v is not None}


def definite(fs: LoadedFlowSet) -> dict[NodeId, set[str]]:
    """Variables set on every path to each node (unreachable nodes left out)."""
    return _solve(fs, lambda a, b: a & b, None)


def possible(fs: LoadedFlowSet) -> dict[NodeId, set[str]]:
    """Variables set on some path to each node."""
    return _solve(fs, lambda a, b: a | b, set())


def uses(fs: LoadedFlowSet) -> Iterator[Use]:
    """Every template-bearing value in a node, with what it feeds."""
    for path, value, owner in prompts(fs):
        if owner is None:
            continue
        for leaf, _lang, part in prompt_parts(value, path):
            text = part.text if isinstance(part, PromptPart) else part
            if text:
                yield Use(owner, leaf if isinstance(part, str) else (*leaf, "text"), text,
                          "prompt")
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            here = (flow_name, name)
            if isinstance(node, n.Lookup):
                yield Use(here, node_path(flow_name, name, "url"), node.url, "url")
                for key, value in node.headers.items():
                    yield Use(here, node_path(flow_name, name, "headers", key), value, "header")
                yield from _body(here, node_path(flow_name, name, "body"), node.body)
            if isinstance(node, n.Set):
                for key, value in node.variables.items():
                    yield Use(here, node_path(flow_name, name, "variables", key), value, "set")
            if isinstance(node, n.Transfer):
                yield Use(here, node_path(flow_name, name, "target"), node.target, "transfer")
            if isinstance(node, n.Branch):
                for i, case in enumerate(node.cases):
                    if case.when.variable is not None:
                        path = node_path(flow_name, name, "cases", i, "when", "variable")
                        yield Use(here, path, "{" + case.when.variable + "}", "condition")


def _body(here: NodeId, path: DocPath, value: Any) -> Iterator[Use]:
    if isinstance(value, str):
        yield Use(here, path, value, "body")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _body(here, (*path, k), v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _body(here, (*path, i), v)


def unset_variables(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Report templates that are malformed or use a variable some path leaves unset."""
    must, may = definite(fs), possible(fs)
    for use in uses(fs):
        try:
            found = template_fields(use.text)
        except TemplateError as exc:
            yield at(fs, use.path, f"bad template: {exc}")
            continue
        if use.node not in must:
            continue  # unreachable: reported as such
        here = fs.flows[use.node[0]].nodes[use.node[1]]
        # A collect's readback may use the value it just collected (not its first question).
        own = (defs(here) if isinstance(here, n.Collect) and "confirm_prompt" in use.path
               else set())
        seen: set[str] = set()
        for f in found:
            var = root(f.name)
            if var in seen or var in own or f.default is not None:
                continue
            seen.add(var)
            if var not in may.get(use.node, set()):
                yield at(fs, use.path, f"variable {var!r} is never set on any path to "
                         f"node {use.node[1]!r}",
                         "set it earlier (collect, set, lookup result) or fix the name")
            elif var not in must[use.node] and use.kind != "condition":
                yield at(fs, use.path, f"variable {var!r} is not set on every path to "
                         f"node {use.node[1]!r}",
                         f"set it on every way in, give a default like {{{f.name}|unknown}}, "
                         f"or, for a flow reached by goto, list it in the flow's inputs:")
    yield from _goto_inputs(fs, must)


def _goto_inputs(fs: LoadedFlowSet, must: dict[NodeId, set[str]]) -> Iterator[Problem]:
    """A goto to another flow's start must have set the inputs that flow declares."""
    for edge in edges(fs):
        dst = resolve(fs, edge.source[0], edge.target)
        if dst is None or dst[0] == edge.source[0] or edge.source not in must:
            continue
        flow = fs.flows[dst[0]]
        if dst[1] != flow.start:
            continue
        have = must[edge.source] | _carried(fs, edge)
        for var in flow.inputs:
            if var not in have:
                yield at(fs, node_path(*edge.source, *edge.field),
                         f"flow {dst[0]!r} needs input {var!r}, which is not set on every "
                         f"path to node {edge.source[1]!r}", f"set {var!r} before going there")
