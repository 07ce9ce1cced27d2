"""Which languages a flow set may listen to speech in (so the service loads only those models).

A Vosk model costs hundreds of megabytes of memory: a flow set that only
takes keys needs none, and one that listens in English needs no Korean. The
answer is an over-estimate by design (every language a listening flow could
switch to), never an under-estimate of what is written in the flows; a call
whose channel brings another language loads that model on its first
listening turn.
"""

from __future__ import annotations

from ivr.flows import nodes as n
from ivr.flows.flowset import FlowSet


def _listens(node: object) -> bool:
    if isinstance(node, n.Menu):
        if node.input is not None:
            return "speech" in node.input
        return any(o.say for o in node.options)
    # A collected value's read-back is confirmed by key or by saying yes/no.
    return isinstance(node, n.Collect) and (node.input == "speech" or node.confirm)


def speech_languages(flowset: FlowSet) -> frozenset[str]:
    """Languages *flowset* may listen for speech in (empty when every node takes keys only).

    When any node listens, every language the flow set names counts: a call can
    switch language in one flow and go on listening in another.
    """
    flows = flowset.flows.values()
    if not any(_listens(node) for flow in flows for node in flow.nodes.values()):
        return frozenset()
    out = {flowset.settings.default_language}
    for flow in flows:
        out.add(flow.language or flowset.settings.default_language)
        for node in flow.nodes.values():
            if isinstance(node, n.Set) and node.language:
                out.add(node.language)
            if isinstance(node, n.Menu):
                out.update(o.language for o in node.options if o.language)
    return frozenset(out)
