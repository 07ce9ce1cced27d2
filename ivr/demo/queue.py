"""What the demo's agent queues did with the callers the IVR handed over.

``ivr demo`` runs without Asterisk, so nothing reports how a queue call ended.
Like the scripted callers, this plays Asterisk's part: each queue call of the
script gets the AMI event Asterisk would send (``AgentConnect`` when an agent
answers, ``QueueCallerAbandon`` when the caller gives up), fed through the same
:class:`~ivr.ami.queues.AfterIvr` tracker and stored the way ``ivr serve``
stores a real one, so the dashboard's "after the IVR" figures have data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ivr.ami.queues import AfterIvr
from ivr.calls.store.base import CallStore


@dataclass(frozen=True)
class QueueEnd:
    """How one demo queue call ended: answered by *agent* after *wait_s*, or abandoned."""

    wait_s: float
    agent: str | None = None
    talk_s: float = 0.0

    def event(self, uniqueid: str) -> dict[str, str]:
        """The AMI event (normalised fields) Asterisk would send for this end."""
        if self.agent is None:
            return {"event": "QueueCallerAbandon", "uniqueid": uniqueid,
                    "holdtime": f"{self.wait_s:g}"}
        return {"event": "AgentConnect", "uniqueid": uniqueid, "membername": self.agent,
                "holdtime": f"{self.wait_s:g}"}


async def settle(store: CallStore, uniqueid: str, end: QueueEnd, at: dt.datetime) -> str | None:
    """Store *end* for the call on channel *uniqueid*; return the status stored."""
    tracker = AfterIvr()
    tracker.watch(uniqueid)
    result = tracker.apply(end.event(uniqueid))
    if result is None:
        return None
    await store.after_ivr(result.call_id, result.status, at, agent=result.agent,
                          wait_s=result.wait_s, talk_s=end.talk_s if end.agent else None)
    return result.status


@dataclass(frozen=True)
class Callee:
    """How a demo caller answers the callback they asked for.

    *answers*: picks up and presses 1; then *agent* answers after *wait_s* in the queue.
    Otherwise the phone rings out (Asterisk's ``OriginateResponse`` reason 3, no answer).
    """

    agent: str | None = None
    wait_s: float = 0.0
    answers: bool = True
