"""Callback offers and ``callback`` nodes name a queue and calendar that exist.

An unknown calendar would not fail at run time: the promise would simply be kept
at any hour, which is worse, so ``ivr validate`` refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ivr.flows import nodes as n
from ivr.flows.checks.walk import at, node_path
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.problems import Problem, did_you_mean


def callback_references(fs: LoadedFlowSet) -> Iterator[Problem]:
    """The queue of a callback node and every callback calendar are defined."""
    queues, calendars = fs.document.queues, fs.document.calendars
    for flow_name, flow in fs.flows.items():
        for name, node in flow.nodes.items():
            where: tuple[str | int, ...] = ()
            ask: n.NumberAsk | None = None
            if isinstance(node, n.CallbackNode):
                ask = node
                if node.queue not in queues:
                    yield at(fs, node_path(flow_name, name, "queue"),
                             f"unknown queue {node.queue!r}",
                             did_you_mean(node.queue, queues) or "define it under 'queues:'")
            elif isinstance(node, n.QueueNode) and node.callback is not None:
                ask, where = node.callback, ("callback",)
            if ask is not None and ask.calendar is not None and ask.calendar not in calendars:
                yield at(fs, node_path(flow_name, name, *where, "calendar"),
                         f"unknown hours calendar {ask.calendar!r}",
                         did_you_mean(ask.calendar, calendars) or "define it under 'calendars:'")
