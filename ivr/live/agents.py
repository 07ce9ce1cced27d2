"""Which agent's phone is ringing for which caller, from AMI queue events (pure).

Asterisk's ``AgentCalled`` names the queue member being rung (``Interface``,
``MemberName``) and the waiting caller's channel (``Channel``, ``Uniqueid``).
The caller's channel is the one that ran the IVR over FastAGI, so its Uniqueid
is the call id the service stored the journey under (``agi_uniqueid``); when
the service itself handed the call over it knows the id exactly and passes a
resolver. ``AgentConnect`` marks the ring answered; ``AgentRingNoAnswer``,
``AgentComplete``, ``AgentDump``, the caller leaving the queue or hanging up end it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ivr.ami.messages import Fields

#: Events that end what an interface was doing with a caller.
_ENDS = frozenset({"agentringnoanswer", "agentcomplete", "agentdump"})
#: Events that end every ring of a caller (by its Uniqueid).
_CALLER_GONE = frozenset({"queuecallerabandon", "hangup"})


@dataclass(frozen=True, slots=True)
class Ring:
    """A queue call offered to (``ringing``) or taken by (``connected``) one agent."""

    interface: str
    member: str
    queue: str
    call_id: str
    uniqueid: str
    caller: str
    state: str
    #: When Asterisk started ringing the agent (ISO 8601, UTC).
    since: str
    #: Seconds the caller waited in the queue (``AgentConnect`` HoldTime), once answered.
    hold_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The ring as JSON-able data (one instance's live payload)."""
        return asdict(self)


def ring_from(data: Mapping[str, Any]) -> Ring | None:
    """A :class:`Ring` back from :meth:`Ring.to_json` (None if it is not one)."""
    try:
        hold = data.get("hold_s")
        return Ring(**{k: str(data[k]) for k in (
            "interface", "member", "queue", "call_id", "uniqueid", "caller", "state", "since")},
            hold_s=float(hold) if isinstance(hold, int | float) else None)
    except (KeyError, TypeError, ValueError):
        return None


def _interface(fields: Fields) -> str:
    return fields.get("interface") or fields.get("location") or fields.get("stateinterface", "")


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


class AgentRings:
    """Rings and answered calls per agent interface, kept current by :meth:`apply`."""

    def __init__(self, call_id_of: Callable[[str], str | None] | None = None) -> None:
        self._call_id_of = call_id_of or (lambda _uniqueid: None)
        self._rings: dict[str, Ring] = {}

    def rings(self) -> list[Ring]:
        """What every interface is doing now, by interface."""
        return [self._rings[i] for i in sorted(self._rings)]

    def forget(self) -> None:
        """AMI went away: nothing known is current any more."""
        self._rings.clear()

    def apply(self, fields: Fields, now: dt.datetime) -> bool:
        """Update from one event; True when what an agent should see changed."""
        kind = fields.get("event", "").lower()
        uniqueid = fields.get("uniqueid", "")
        if kind == "agentcalled":
            interface = _interface(fields)
            if not interface or not uniqueid:
                return False
            self._rings[interface] = Ring(
                interface=interface, member=fields.get("membername") or interface,
                queue=fields.get("queue", ""),
                call_id=self._call_id_of(uniqueid) or uniqueid, uniqueid=uniqueid,
                caller=fields.get("calleridnum", ""), state="ringing",
                since=now.astimezone(dt.UTC).isoformat())
            return True
        if kind == "agentconnect":
            ring = self._rings.get(_interface(fields))
            if ring is None or ring.uniqueid != uniqueid:
                return False
            self._rings[ring.interface] = replace(ring, state="connected",
                                                  hold_s=_float(fields.get("holdtime")))
            return True
        if kind in _ENDS:
            ring = self._rings.get(_interface(fields))
            if ring is None or ring.uniqueid != uniqueid:
                return False
            del self._rings[ring.interface]
            return True
        if kind in _CALLER_GONE:
            gone = [i for i, r in self._rings.items() if r.uniqueid == uniqueid]
            for interface in gone:
                del self._rings[interface]
            return bool(gone)
        return False
