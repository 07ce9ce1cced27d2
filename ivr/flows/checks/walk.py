"""Walking a flow set: the edges between nodes and every prompt, with document paths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, assert_never

from pydantic import BaseModel

from ivr.flows import nodes as n
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.parts import BuiltinText, PromptPart
from ivr.flows.problems import Problem
from ivr.flows.yamlread import DocPath

#: Fields that hold prompts, wherever they appear.
PROMPT_FIELDS = frozenset({
    "prompt", "short_prompt", "no_input", "no_match", "confirm_prompt", "hold_prompt",
    "goodbye", "thanks", "confirmation",
})
NodeId = tuple[str, str]  # (flow, node)


@dataclass(frozen=True, slots=True)
class Edge:
    """A way from one node to another; ``field`` is the path of the target inside the node."""

    source: NodeId
    field: tuple[str | int, ...]
    target: str
    #: False for lookup's on_error: the lookup's result is not set on that way.
    carries_defs: bool = True


def node_path(flow: str, node: str, *rest: str | int) -> DocPath:
    """The document path of a node (or of something inside it)."""
    return ("flows", flow, "nodes", node, *rest)


def resolve(flowset: LoadedFlowSet, flow: str, target: str) -> NodeId | None:
    """Where a target leads: ``node``, ``flow:NAME`` or ``flow:NAME:NODE``; None if nowhere."""
    if target.startswith("flow:"):
        _p, name, *rest = target.split(":")
        other = flowset.flows.get(name)
        if other is None:
            return None
        node = rest[0] if rest else other.start
        return (name, node) if node in other.nodes else None
    return (flow, target) if target in flowset.flows[flow].nodes else None


def edges(flowset: LoadedFlowSet) -> Iterator[Edge]:
    """Every edge of every flow."""
    for flow_name, flow in flowset.flows.items():
        for name, node in flow.nodes.items():
            src = (flow_name, name)
            for fld in ("next", "on_failure", "on_error"):
                target = getattr(node, fld, None)
                if isinstance(target, str):
                    yield Edge(src, (fld,), target, carries_defs=fld != "on_error")
            for fld in ("on_no_input", "on_no_match"):
                limit = getattr(node, fld, None)
                if limit is not None and limit.next is not None:
                    yield Edge(src, (fld, "next"), limit.next, carries_defs=False)
            yield from _own_edges(src, node)


def _own_edges(src: NodeId, node: n.Node) -> Iterator[Edge]:
    """Edges a node kind has beyond next/on_failure/on_error (every kind named: mypy checks)."""
    match node:
        case n.Menu():
            for i, option in enumerate(node.options):
                yield Edge(src, ("options", i, "next"), option.next)
        case n.Branch():
            for i, case in enumerate(node.cases):
                yield Edge(src, ("cases", i, "next"), case.next)
            yield Edge(src, ("else",), node.default)
        case n.Split():
            for i, arm in enumerate(node.branches):
                yield Edge(src, ("branches", i, "next"), arm.next)
            if node.default is not None:
                yield Edge(src, ("else",), node.default)
        case n.Goto():
            target = f"flow:{node.flow}" + (f":{node.node}" if node.node else "")
            # Point at the line that names what is missing: 'node:' when it is given.
            yield Edge(src, ("node",) if node.node else ("flow",), target)
        case (n.Collect() | n.Play() | n.Lookup() | n.Set() | n.QueueNode() | n.Transfer()
              | n.Voicemail() | n.Record() | n.Survey() | n.Hangup() | n.CallbackNode()):
            return
        case _:
            assert_never(node)


def prompts(flowset: LoadedFlowSet) -> Iterator[tuple[DocPath, Any, NodeId | None]]:
    """Every prompt field value written in the file, with its path and node (None: settings).

    Built-in defaults are left out: the file did not write them (see checks.builtins).
    """
    settings = flowset.settings
    for fld in ("no_input", "no_match"):
        value = getattr(settings, fld)
        if value is not None and not isinstance(value, BuiltinText):
            yield ("settings", fld), value, None
    for flow_name, flow in flowset.flows.items():
        for name, node in flow.nodes.items():
            for path, value in _prompt_values(node, ()):
                yield node_path(flow_name, name, *path), value, (flow_name, name)


def _prompt_values(model: BaseModel, path: tuple[str | int, ...]) -> Iterator[tuple[Any, Any]]:
    for fld in type(model).model_fields:
        value = getattr(model, fld)
        if value is None or isinstance(value, BuiltinText):
            continue
        if fld in PROMPT_FIELDS:
            yield (*path, fld), value
        elif isinstance(value, BaseModel):
            yield from _prompt_values(value, (*path, fld))


def prompt_parts(value: Any, path: DocPath) -> Iterator[tuple[DocPath, str | None, Any]]:
    """Split a prompt field into (path, language or None, str | PromptPart) leaves."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from prompt_parts(item, (*path, i))
    elif isinstance(value, dict):
        for lang, item in value.items():
            yield (*path, lang), lang, item
    elif isinstance(value, str | PromptPart):
        yield path, None, value


def at(flowset: LoadedFlowSet, path: DocPath, message: str, hint: str | None = None,
       severity: str = "error", key: bool = False) -> Problem:
    """A problem positioned at *path* (its key when *key*)."""
    mark = flowset.positions.key(path) if key else flowset.positions.value(path)
    return Problem(mark.file, mark.line, mark.col, message, hint,
                   "warning" if severity == "warning" else "error")
