"""A/B ``split`` nodes: shares that add up to 100, distinct branch names, sane dates.

A split whose shares do not add up would silently favour its last branch, and a
date range without ``else`` would leave callers outside it nowhere to go, so both
are refused at load time with the place to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ivr.flows import nodes as n
from ivr.flows.checks.calendar import timezone_problem
from ivr.flows.checks.walk import at, node_path
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.problems import Problem


def splits(fs: LoadedFlowSet) -> Iterator[Problem]:
    """Every split's shares, names, dates, time zone and default."""
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            if isinstance(node, n.Split):
                yield from _split(fs, flow_name, name, node)


def _split(fs: LoadedFlowSet, flow: str, name: str, node: n.Split) -> Iterator[Problem]:
    total = sum(b.percent for b in node.branches)
    if abs(total - 100) > 1e-6:
        yield at(fs, node_path(flow, name, "branches"),
                 f"the branches of split {name!r} add up to {total:g}%, not 100%",
                 "change the 'percent' values so they add up to 100", key=True)
    seen: set[str] = set()
    for i, arm in enumerate(node.branches):
        if arm.name in seen:
            yield at(fs, node_path(flow, name, "branches", i, "name"),
                     f"branch name {arm.name!r} is used twice in split {name!r}",
                     "give each branch its own name (reports compare branches by name)")
        seen.add(arm.name)
    if node.starts and node.ends and node.ends < node.starts:
        yield at(fs, node_path(flow, name, "until"),
                 f"'until' ({node.ends}) is before 'from' ({node.starts})",
                 "swap the dates, or correct the one that is wrong")
    if (node.starts or node.ends) and node.default is None:
        field = "from" if node.starts else "until"
        yield at(fs, node_path(flow, name, field),
                 f"split {name!r} has a date range but no 'else'",
                 "add 'else: NODE' for callers outside the dates", key=True)
    if "timezone" in node.model_fields_set:
        bad = timezone_problem(node.timezone)
        if bad is not None:
            yield at(fs, node_path(flow, name, "timezone"), *bad)
