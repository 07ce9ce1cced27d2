"""Lookups and queue checks of a replayed call, answered from the record.

:class:`RecordedReplies` is the lookup backend (``ivr.interpreter.lookup.LookupBackend``)
and queue board (``ivr.interpreter.session.QueueBoard``) the call session gets in a
replay, in place of HTTP and AMI. The interpreter carries out the ``Lookup`` as it does
live; only the reply comes from the recorded call, and only when the new flow sends the
request the call sent: the same URL, and the same digests of its query, headers and
body (sensitive values masked, see ``ivr.flows.steps.lookup.request_digests``).
Otherwise the call is not replayable from the lookup, with the reason.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ivr.flows import effects as fx
from ivr.flows import nodes as n
from ivr.flows.events import LookupDone, LookupFailed, QueueStatus
from ivr.replay.inputs import Result
from ivr.replay.transport import NotReplayable, Tape

#: Parts of a lookup request compared with the recorded one, as a reason names them.
_PARTS = (("url", "another URL or query"), ("headers", "other headers"),
          ("body", "another body"))


class RecordedReplies:
    """The replies the recorded call got, each given once, to the request that got it."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape

    async def lookup(self, effect: fx.Lookup) -> LookupDone | LookupFailed:
        """The recorded reply, if the new flow sends the recorded request."""
        tape = self.tape
        found = tape.take(tape.rec.lookups, effect.node, "lookup")
        self._same_request(effect, found)
        tape.advance(found.at)
        assert isinstance(found.event, LookupDone | LookupFailed)
        return found.event

    def queue_status(self, check: fx.CheckQueue) -> QueueStatus:
        """The queue's state as the recorded call saw it at this node."""
        tape = self.tape
        found = tape.take(tape.rec.queue_checks, check.node, "queue check")
        tape.advance(found.at)
        assert isinstance(found.event, QueueStatus)
        return found.event

    def _same_request(self, effect: fx.Lookup, found: Result) -> None:
        """Refuse the recorded reply unless the new flow sends the request the call sent."""
        tape, name = self.tape, effect.node
        node = tape.current_node(name)
        if isinstance(node, n.Lookup) and found.url is not None:
            # The URL as the timeline keeps it: the node's, without its query.
            where = urlsplit(node.url)
            url = f"{where.scheme}://{where.netloc}{where.path}"
            if url != found.url:
                raise NotReplayable(f"the lookup now asks {url}; the call asked {found.url}")
        if found.request is None:
            # Recorded before request digests were kept: say how little was compared.
            tape.notes.append(f"lookup {name}: the record keeps only its URL, so the recorded "
                              "reply was used without comparing the query, headers or body")
        else:
            asked = dict(effect.digests)
            for part, label in _PARTS:
                if found.request.get(part) != asked.get(part):
                    raise NotReplayable(f"the lookup's inputs changed: it would now send "
                                        f"{label} than the recorded call did, so the recorded "
                                        "reply may not apply")
        if tape.stand_in_used:
            tape.notes.append(f"lookup {name} answered with the recorded reply")
