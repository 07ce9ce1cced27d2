"""Sensitive values (a PIN, a card number) reach lookups, never a prompt, record, agent or log.

A value is sensitive when it comes from a ``sensitive: true`` collect, from a
part of a lookup reply listed in ``sensitive_results``, or is ``set`` or
``assign``-ed from one (taint spreads through copies, whatever path the call
took, so the check is the same on every path). Such a value may go into a
lookup's URL, headers or body and be tested by a branch. It may be spoken
only through the explicit readback marker ``{pin!readback}`` (a prompt that is
played but never stored); copying it with ``set`` needs the copy listed in
the node's ``sensitive:``; a transfer target or a queue's ``share`` may never
hold it. Each violation is reported where the leak is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from ivr.flows import nodes as n
from ivr.flows.checks.variables import Use, uses
from ivr.flows.checks.walk import at, node_path
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.problems import Problem
from ivr.flows.template import Field, fields_or_none, is_sensitive, root


def sensitive_names(fs: LoadedFlowSet) -> set[str]:
    """Every variable (or dotted part of one) that may hold a sensitive value."""
    out: set[str] = set()
    for flow in fs.flows.values():
        for node in flow.nodes.values():
            if isinstance(node, n.Collect) and node.sensitive:
                out.add(node.variable)
            if isinstance(node, n.Lookup):
                out.update(node.sensitive_results)
                out.update(name for name, path in node.assign.items()
                           if is_sensitive(f"{node.result}.{path}", node.sensitive_results))
            if isinstance(node, n.Set):
                out.update(node.sensitive)
    changed = True
    while changed:  # copies of copies
        changed = False
        for flow in fs.flows.values():
            for node in flow.nodes.values():
                if not isinstance(node, n.Set):
                    continue
                for name, template in node.variables.items():
                    names = [f.name for f in fields_or_none(template)]
                    if name not in out and any(is_sensitive(v, out) for v in names):
                        out.add(name)
                        changed = True
    return out


def leaks(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Report each place a sensitive value would be spoken, stored, shared or logged."""
    secret = sensitive_names(fs)
    for use in uses(fs):
        for f in fields_or_none(use.text):
            yield from _use(fs, use, f, secret)
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            if isinstance(node, n.QueueNode) and node.share:
                for i, var in enumerate(node.share):
                    if is_sensitive(var, secret):
                        yield at(fs, node_path(flow_name, name, "share", i),
                                 f"share would show sensitive {var!r} on the agent's screen-pop",
                                 "remove it from share:; agents never see sensitive values")
            if isinstance(node, n.Lookup):
                roots = {node.result, *node.assign}
                for i, path in enumerate(node.sensitive_results):
                    if root(path) not in roots:
                        yield at(fs, node_path(flow_name, name, "sensitive_results", i),
                                 f"{path!r} is not part of this lookup's reply",
                                 f"start it with the result name, e.g. '{node.result}.{path}'")
            if isinstance(node, n.Set):
                for i, var in enumerate(node.sensitive):
                    if var not in node.variables:
                        yield at(fs, node_path(flow_name, name, "sensitive", i),
                                 f"{var!r} is not set by this node",
                                 "list only names under variables:")


def _use(fs: LoadedFlowSet, use: Use, f: Field, secret: set[str]) -> Iterator[Problem]:
    if f.readback and use.kind != "prompt":
        yield at(fs, use.path, f"{{{f.name}!readback}} only works in a prompt",
                 f"write {{{f.name}}} here")
        return
    if not is_sensitive(f.name, secret) or f.readback:
        return
    if use.kind == "prompt":
        yield at(fs, use.path, f"this prompt would speak sensitive {f.name!r}",
                 f"to read it back on purpose write {{{f.name}!readback}} "
                 "(spoken, never stored); else leave it out")
    elif use.kind == "set":
        node = fs.flows[use.node[0]].nodes[use.node[1]]
        var = str(use.path[-1])
        if isinstance(node, n.Set) and var not in node.sensitive:
            yield at(fs, use.path, f"{var!r} copies sensitive {f.name!r} into a variable the "
                     "call record and the agent's screen-pop would keep",
                     f"add sensitive: [{var}] to this node if the copy is for a lookup; "
                     "else do not copy it")
    elif use.kind == "transfer":
        yield at(fs, use.path, f"the transfer target would hold sensitive {f.name!r}, "
                 "which the call record and logs keep", "dial a number that holds no secret")
