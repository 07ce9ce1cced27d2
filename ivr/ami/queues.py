"""Live queue state and what happened to callers after the IVR, built from AMI messages (pure).

:class:`QueueBoard` is rebuilt from a ``QueueStatus`` snapshot after every
(re)login and then kept current by queue events; a flow's ``CheckQueue`` reads
it. :class:`AfterIvr` follows callers the IVR handed to a queue, by Uniqueid
(the same id as ``agi_uniqueid``), until an agent answers or they give up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ivr.ami.messages import (
    Entry,
    Fields,
    Member,
    QueueParams,
    entry_from,
    member_from,
    params_from,
)
from ivr.flows.events import QueueStatus


@dataclass
class _Queue:
    params: QueueParams | None = None
    members: dict[str, Member] = field(default_factory=dict)
    callers: dict[str, Entry] = field(default_factory=dict)
    #: When each caller started waiting, on the board's clock: a wait grows between events.
    since: dict[str, float] = field(default_factory=dict)


class QueueBoard:
    """Every queue's members and waiting callers, as last reported by AMI."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._queues: dict[str, _Queue] = {}
        self._clock = clock
        #: False until the first snapshot after a (re)connect: then state is unknown.
        self.fresh = False

    def _join(self, queue: _Queue, entry: Entry) -> None:
        queue.callers[entry.uniqueid] = entry
        # Asterisk reports the wait so far (QueueEntry "Wait"; 0 on QueueCallerJoin).
        queue.since[entry.uniqueid] = self._clock() - entry.wait_s

    def load_snapshot(self, messages: Iterable[Fields]) -> None:
        """Replace all state with a ``QueueStatus`` reply (QueueParams/QueueMember/QueueEntry)."""
        self._queues = {}
        for fields in messages:
            kind = fields.get("event", "").lower()
            if kind == "queueparams":
                self._queue(fields).params = params_from(fields)
            elif kind == "queuemember":
                member = member_from(fields)
                self._queue(fields).members[member.interface] = member
            elif kind == "queueentry":
                self._join(self._queue(fields), entry_from(fields))
        self.fresh = True

    def forget(self) -> None:
        """AMI went away: what we know may be stale until the next snapshot."""
        self.fresh = False

    def _queue(self, fields: Fields) -> _Queue:
        return self._queues.setdefault(fields.get("queue", ""), _Queue())

    def apply(self, fields: Fields) -> None:
        """Update from one event (others are ignored)."""
        kind = fields.get("event", "").lower()
        if kind in ("queuememberadded", "queuememberstatus", "queuememberpause"):
            member = member_from(fields)
            self._queue(fields).members[member.interface] = member
        elif kind == "queuememberremoved":
            self._queue(fields).members.pop(member_from(fields).interface, None)
        elif kind == "queuecallerjoin":
            self._join(self._queue(fields), entry_from(fields))
        elif kind in ("queuecallerleave", "queuecallerabandon"):
            queue = self._queue(fields)
            queue.callers.pop(fields.get("uniqueid", ""), None)
            queue.since.pop(fields.get("uniqueid", ""), None)

    def queues(self) -> list[str]:
        """Names of the queues seen."""
        return sorted(self._queues)

    def members(self, queue: str) -> list[Member]:
        """Members of *queue*."""
        known = self._queues.get(queue)
        return list(known.members.values()) if known else []

    def status(self, queue: str) -> QueueStatus:
        """Return what a flow sees for *queue*; every figure is ``None`` when state is not fresh.

        Estimated wait: zero when an agent is free and nobody waits, otherwise the
        queue's average hold time scaled by callers ahead per logged-in agent.
        """
        known = self._queues.get(queue)
        if not self.fresh or known is None:
            return QueueStatus(queue=queue)
        members = list(known.members.values())
        logged_in = len(members)
        available = sum(m.available for m in members)
        callers = len(known.callers)
        now = self._clock()
        longest = max((now - known.since.get(u, now - c.wait_s)
                       for u, c in known.callers.items()), default=0)
        hold = known.params.holdtime_s if known.params else 0
        if available > callers:
            estimate = 0.0
        else:
            estimate = float(max(hold, 1) * (callers + 1) / max(logged_in, 1))
        return QueueStatus(
            queue=queue,
            logged_in=logged_in,
            available=available,
            callers=callers,
            longest_hold_s=float(longest),
            estimated_wait_s=estimate,
        )


@dataclass(frozen=True, slots=True)
class AfterIvrResult:
    """How a handed-over call ended: ``answered`` (by ``agent``) or ``abandoned``."""

    call_id: str
    status: str
    agent: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None


class AfterIvr:
    """Follows callers the IVR handed to a queue until they are answered or give up."""

    def __init__(self) -> None:
        self._watched: dict[str, str] = {}  # uniqueid -> call_id

    def watch(self, uniqueid: str, call_id: str | None = None) -> None:
        """Start following the channel *uniqueid* (recorded under *call_id*, default the same)."""
        self._watched[uniqueid] = call_id or uniqueid

    def call_id_of(self, uniqueid: str) -> str | None:
        """The call id a followed channel is recorded under (None if not followed)."""
        return self._watched.get(uniqueid)

    @property
    def watching(self) -> int:
        """Calls still being followed."""
        return len(self._watched)

    def apply(self, fields: Fields) -> AfterIvrResult | None:
        """Feed one event; return a result when it settles a watched call."""
        kind = fields.get("event", "").lower()
        uniqueid = fields.get("uniqueid", "")
        call_id = self._watched.get(uniqueid)
        if call_id is None:
            return None
        if kind == "agentconnect":
            del self._watched[uniqueid]
            return AfterIvrResult(
                call_id,
                "answered",
                agent=fields.get("membername") or fields.get("interface") or None,
                wait_s=_float(fields.get("holdtime")),
            )
        if kind == "queuecallerabandon":
            del self._watched[uniqueid]
            return AfterIvrResult(call_id, "abandoned", wait_s=_float(fields.get("holdtime")))
        if kind == "hangup":
            del self._watched[uniqueid]
            return AfterIvrResult(call_id, "abandoned")
        return None


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
