"""Scripted callers for the demo: each one dials the service over real FastAGI.

Each plays Asterisk's part on its line (:mod:`ivr.demo.line`): keys, Korean words
at speech questions (recognised by the service, :mod:`ivr.demo.voice`), a spoken
voicemail. The script also says what the demo's telephony reports around a call:
how its queue call ended (:mod:`ivr.demo.queue`), how busy the queue looked, and
how the callee answers a callback (:mod:`ivr.demo.callbacks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ivr.bench.agi_peer import CallScript
from ivr.demo.line import Conversation, agi_header, converse
from ivr.demo.queue import Callee, QueueEnd
from ivr.flows.events import QueueStatus

#: The queue board a caller sees when every sales agent is busy: a callback is offered.
SALES_BUSY = (QueueStatus("sales", logged_in=2, available=0, callers=4, longest_hold_s=260,
                          estimated_wait_s=420),)


@dataclass(frozen=True)
class DemoCall:
    """One scripted caller: the flow, the keys pressed, when (for business hours), who."""

    flow: str
    keys: str
    caller: str
    #: Days and hours before now (demo calls are spread out so the metrics have a shape).
    ago: dt.timedelta
    hangup_at: int | None = None
    #: Hour of day (in the flows' calendar time zone) to pretend the call came in at.
    local_hour: int = 10
    description: str = ""
    #: Dated *ago* before the demo runs, not at local_hour: for calls no calendar decides,
    #: so Metrics → today has calls right after the demo at any hour.
    today: bool = False
    #: For a call the IVR hands to a queue: how the queue call ended (ivr.demo.queue).
    queue_end: QueueEnd | None = None
    #: Korean phrases said at the call's speech questions, in order (recognised by the service).
    says: tuple[str, ...] = ()
    #: The line they are said over (ivr.speech.channels): ``phone`` has crossed the PSTN (300-
    #: 3400 Hz, µ-law, line noise), so the service confirms what it hears; ``ulaw`` is a SIP
    #: phone's G.711, where a sure pick is taken at once.
    line: str = "phone"
    #: What the queue board shows during the call (AMI's live state; none: figures unknown).
    board: tuple[QueueStatus, ...] = ()
    #: For a caller who asks to be called back: how the callback goes.
    callee: Callee | None = None


#: A small day at Harbor Telecom (see flows.yaml): every outcome appears at least once.
SCRIPT: tuple[DemoCall, ...] = (
    DemoCall("main", "11", "+15550101", dt.timedelta(days=2), local_hour=9,
             description="English, sales by key; an agent answers after 35 s",
             queue_end=QueueEnd(35, "Agent Alice", 240)),
    DemoCall("main", "12", "+15550102", dt.timedelta(days=2), local_hour=10,
             description="English, support (reason asked, no speech here); "
                         "gives up after 95 s in the queue",
             queue_end=QueueEnd(95)),
    DemoCall("main", "131234561" "4321#" "2", "+15550103", dt.timedelta(days=2), local_hour=11,
             description="English, balance self-service with account and PIN"),
    DemoCall("main", "131234561" "9999#", "+15550104", dt.timedelta(days=1), local_hour=9,
             description="English, wrong PIN, on to billing; answered after 20 s",
             queue_end=QueueEnd(20, "Agent Bruno", 300)),
    DemoCall("main", "24", "+15550105", dt.timedelta(days=1), local_hour=13,
             description="Spanish, billing; answered after 12 s",
             queue_end=QueueEnd(12, "Agent Bruno", 150)),
    DemoCall("main", "10", "+15550106", dt.timedelta(days=1), local_hour=15,
             description="English, front desk by 0; answered after 8 s",
             queue_end=QueueEnd(8, "Front desk", 60)),
    DemoCall("main", "1999", "+15550107", dt.timedelta(hours=20), local_hour=16,
             description="English, three wrong keys, operator after max attempts; "
                         "gives up after 140 s",
             queue_end=QueueEnd(140)),
    DemoCall("main", "1", "+15550108", dt.timedelta(hours=6), local_hour=10, hangup_at=5,
             description="hangs up during the main menu"),
    DemoCall("main", "1", "+15550109", dt.timedelta(hours=3), local_hour=21,
             description="after hours, leaves a voicemail"),
    # The Korean line (flows/korean.yaml): the words are spoken by espeak-ng over a phone line
    # and heard by the packaged Vosk model; what it hears decides each call's path.
    DemoCall("korean", "", "+15550111", dt.timedelta(minutes=55), today=True,
             says=("요금이요", "네"),
             description="Korean over the PSTN, says 요금이요 (billing), confirms with 네; "
                         "answered after 25 s", queue_end=QueueEnd(25, "Agent Bruno", 180)),
    DemoCall("korean", "", "+15550112", dt.timedelta(minutes=48), today=True,
             says=("내일 다시 전화할게요", "가입하고 싶어요", "네"),
             description="Korean over the PSTN, off-menu words first, then 가입하고 싶어요 "
                         "(sales), confirms with 네; gives up after 70 s",
             queue_end=QueueEnd(70)),
    DemoCall("korean", "", "+15550113", dt.timedelta(minutes=40), today=True,
             says=("해지", "네"),
             description="Korean over the PSTN, says 해지 (cancel), confirms with 네; "
                         "answered after 15 s", queue_end=QueueEnd(15, "Agent Bruno", 420)),
    DemoCall("korean", "1", "+15550114", dt.timedelta(minutes=30), today=True,
             says=("가입",), line="ulaw", board=SALES_BUSY, callee=Callee("Agent Alice", 20),
             description="Korean from a SIP phone, says 가입 (sales), taken at once; all agents "
                         "busy, presses 1 for a callback; called back, connected to an agent"),
    DemoCall("korean", "1", "+15550115", dt.timedelta(minutes=20), today=True,
             says=("인터넷 가입", "네"), board=SALES_BUSY, callee=Callee(answers=False),
             description="Korean over the PSTN, says 인터넷 가입 (sales), confirms with 네; "
                         "presses 1 for a callback; called back, no answer: still pending"),
    DemoCall("csat", "5", "+15550103", dt.timedelta(minutes=2), today=True,
             description="survey after an agent call: 5"),
    DemoCall("csat", "3", "+15550101", dt.timedelta(minutes=1), today=True,
             description="survey after an agent call: 3"),
)


async def place_call(host: str, port: int, n: int, call: DemoCall,
                     voice: Sequence[bytes] = ()) -> Conversation:
    """Run one scripted call to its end over FastAGI; *voice* is what it says at speech turns."""
    return await converse(host, port, _header(call, n), CallScript(list(call.keys),
                                                                   call.hangup_at), voice)


def uniqueid(n: int) -> str:
    """The channel Uniqueid (and so the call id) of the demo's *n*-th call."""
    return f"demo.{n}"


def _header(call: DemoCall, n: int) -> bytes:
    return agi_header(call.flow, uniqueid(n), f"PJSIP/demo-{n:08x}", call.caller)


