"""The AMI events the service acts on: asked for at login and in manager.conf, nothing else.

A busy Asterisk produces dozens of channel events per call (Newchannel,
Newexten, VarSet, Newstate, DialBegin, BridgeEnter, RTCP reports…); the
service uses a handful. Sending and parsing the rest cost CPU on both sides
and, at 800 calls, backed Asterisk's manager queue up to 3,000 tasks. So:

* ``manager.conf`` gives the service's user one ``eventfilter(name(…))`` line
  per event here (Asterisk matches names by hash: cheap), and
  ``tests/ami/test_events.py`` keeps that file and this list in step;
* the login asks only for the classes these events belong to
  (:data:`EVENT_CLASSES`), so a site whose manager.conf lacks the filters
  still gets no ``reporting`` (RTCP) or ``dialplan`` (VarSet, Newexten) events;
* the client drops any other event before parsing it further.

Replies to actions (``QueueStatus``'s QueueParams/QueueMember/QueueEntry,
``Originate``'s response) are not events to Asterisk's filters and always
arrive. The ``Filter`` action would do the same per session, but needs the
``system`` write class, which the service's user is deliberately not given.
"""

from __future__ import annotations

from typing import Final

#: Event name -> who uses it (kept for the reader; the names are what matter).
SERVICE_EVENTS: Final[dict[str, str]] = {
    # system: the client's own life cycle
    "FullyBooted": "client: take the queue snapshot only once app_queue has loaded",
    "Shutdown": "client: Asterisk restarts, reconnect",
    # agent: queue state (ivr.ami.queues) and agents' screens (ivr.live.agents)
    "QueueMemberAdded": "queue board",
    "QueueMemberRemoved": "queue board",
    "QueueMemberPause": "queue board",
    "QueueMemberStatus": "queue board",
    "QueueCallerJoin": "queue board",
    "QueueCallerLeave": "queue board",
    "QueueCallerAbandon": "queue board, after-IVR result, agent rings, callbacks",
    "AgentCalled": "agent rings",
    "AgentConnect": "after-IVR result, agent rings, callbacks",
    "AgentComplete": "agent rings",
    "AgentDump": "agent rings",
    "AgentRingNoAnswer": "agent rings",
    # call: the end of a handed-over call or of a callback leg; a callback's dial result
    "Hangup": "after-IVR result, agent rings, callbacks",
    "OriginateResponse": "callbacks",
}

#: Lower-cased names, as :func:`ivr.ami.messages.fields_from` gives the ``event`` field.
WANTED: Final = frozenset(name.lower() for name in SERVICE_EVENTS)

#: The AMI classes of those events, asked for with ``Events:`` at login.
EVENT_CLASSES: Final = "system,call,agent"


def manager_conf_lines() -> list[str]:
    """The ``eventfilter`` lines for the service's user in ``manager.conf``."""
    return [f"eventfilter(action(include),name({name})) =" for name in SERVICE_EVENTS]
