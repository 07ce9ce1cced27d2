"""Rules about a flow's shape: duplicate keys, unreachable nodes, loops without input."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ivr.flows import nodes as n
from ivr.flows.checks.walk import NodeId, at, edges, node_path, resolve
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.matching import normalise
from ivr.flows.problems import Problem


def duplicate_keys(fs: LoadedFlowSet) -> Iterator[Problem]:
    """A key (or phrase) chooses one option per menu; shadowing a global key is a warning."""
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            if not isinstance(node, n.Menu):
                continue
            keys = node.keys or fs.settings.keys
            globals_ = {keys.operator: "operator", keys.repeat: "repeat", keys.back: "back"}
            seen: dict[str, int] = {}
            phrases: dict[str, int] = {}
            for i, option in enumerate(node.options):
                where = node_path(flow_name, name, "options", i)
                if option.key is not None:
                    if option.key in seen:
                        yield at(fs, (*where, "key"), f"key {option.key} is used twice in menu "
                                 f"{name!r} (also option {seen[option.key] + 1})",
                                 "give each option its own key")
                    seen.setdefault(option.key, i)
                    if option.key in globals_:
                        yield at(fs, (*where, "key"), f"key {option.key} hides the global "
                                 f"'{globals_[option.key]}' key in this menu",
                                 f"set keys: {{{globals_[option.key]}: null}} on the node to "
                                 "say this is meant", severity="warning")
                for j, phrase in enumerate(option.say):
                    norm = normalise(phrase)
                    if norm in phrases and phrases[norm] != i:
                        yield at(fs, (*where, "say", j), f"phrase {phrase!r} chooses two "
                                 f"options in menu {name!r}", "keep each phrase on one option")
                    phrases.setdefault(norm, i)


def _graph(fs: LoadedFlowSet) -> dict[NodeId, list[NodeId]]:
    graph: dict[NodeId, list[NodeId]] = defaultdict(list)
    for edge in edges(fs):
        target = resolve(fs, edge.source[0], edge.target)
        if target is not None:
            graph[edge.source].append(target)
    return graph


def unreachable(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Nodes no path from any flow's start reaches (a warning: maybe work in progress)."""
    graph = _graph(fs)
    seen: set[NodeId] = set()
    todo = [(name, flow.start) for name, flow in fs.flows.items()]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, []))
    for flow_name, flow in fs.flows.items():
        for name in flow.nodes:
            if (flow_name, name) not in seen:
                yield at(fs, node_path(flow_name, name), f"node {name!r} can never be reached",
                         "point an option or next: at it, or delete it", severity="warning",
                         key=True)


def input_free_cycles(fs: LoadedFlowSet) -> Iterator[Problem]:
    """A cycle through nodes that never wait for the caller would loop forever."""
    graph = _graph(fs)

    def waits(node: NodeId) -> bool:
        return fs.flows[node[0]].nodes[node[1]].type in n.INPUT_KINDS

    colour: dict[NodeId, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[NodeId]] = set()

    def visit(node: NodeId, stack: list[NodeId]) -> Iterator[Problem]:
        colour[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if waits(nxt):
                continue
            if colour.get(nxt) == 1:
                cycle = stack[stack.index(nxt):]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    names = " -> ".join(x[1] for x in [*cycle, nxt])
                    yield at(fs, node_path(*cycle[0]), f"loop without caller input: {names}",
                             "put a menu or collect in the loop, or end it", key=True)
            elif nxt not in colour:
                yield from visit(nxt, stack)
        stack.pop()
        colour[node] = 2

    for flow_name, flow in fs.flows.items():
        for name in flow.nodes:
            node = (flow_name, name)
            if node not in colour and not waits(node):
                yield from visit(node, [])
