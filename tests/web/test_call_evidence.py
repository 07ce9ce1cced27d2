"""A speech turn's evidence, from the listening turn through the engine to the call page."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace

from ivr.flows.engine import Call
from ivr.flows.events import Hangup, SpeechHeard
from ivr.flows.loader import parse_flowset
from ivr.speech.grammar import Word
from ivr.speech.listen import Turn, TurnTiming
from ivr.speech.recognition import Recognition
from ivr.speech.spotting import decide
from tests.web.conftest import SUPERVISOR, Dashboard, client_of

NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
FLOWS = """\
version: 1
settings: {languages: [ko], default_language: ko}
queues: {operator: {description: Front desk}}
flows:
  bank:
    start: m
    nodes:
      m:
        type: menu
        prompt: "원하시는 업무를 말씀하세요."
        options:
          - {key: 1, say: [잔액 조회], next: bye}
          - {key: 2, say: [계좌 이체], next: bye}
      bye: {type: hangup}
"""
PHRASES = ("잔액 조회", "계좌 이체")


def heard_turn(narrowband: bool = False) -> Turn:
    """What a listening turn returns for "잔액 조회 하고 싶어요" (N-best as Vosk gives it)."""
    nbest = [("잔액 조회 하고 싶어요", 120.5), ("잔액 조회", 119.0), ("계좌 이체", 110.0)]
    decision = decide(nbest, PHRASES, ("하고 싶어요",))
    recognition = Recognition(
        text="잔액 조회", confidence=decision.share, heard="잔액 조회 하고 싶어요",
        in_grammar=True, words=(Word("잔액", 1.0, 0.1, 0.4),), audio_ms=1400,
        recognition_ms=35, decode_ms=160, grammar=True, decision=decision,
        low_band_share=0.0004 if narrowband else 0.12)
    timing = TurnTiming(prompt_ms=2000, prompt_sent_ms=900, speech_start_ms=880,
                        speech_end_ms=2140, decided_ms=2340, early=True, barge_in_ms=40.0,
                        barge_in_at=1.0)
    return Turn(recognition.to_event(), timing, recognition).with_evidence()


def test_the_turns_evidence_lands_in_the_call_record() -> None:
    call = Call(parse_flowset(FLOWS), "bank", call_id="ev1", caller="+821000", language="ko")
    call.start(NOW)
    event = heard_turn().event
    assert isinstance(event, SpeechHeard)
    call.receive(event, NOW)
    [entry] = [e for e in call.record.timeline if e.kind == "speech"]
    assert entry.data["result"] == "chosen"
    evidence = entry.data["evidence"]
    assert evidence["heard"] == "잔액 조회 하고 싶어요"
    assert evidence["decision"] == "matched"
    assert [a["text"] for a in evidence["nbest"]][:2] == ["잔액 조회 하고 싶어요", "잔액 조회"]
    assert (evidence["speech_start_ms"], evidence["speech_end_ms"]) == (880, 2140)
    # Decided 200 ms after the speech ended, plus the 35 ms final decode.
    assert evidence["decision_latency_ms"] == 235


async def shown_evidence(dashboard: Dashboard, call: Call) -> tuple[str, str, str]:
    """Store the ended *call*; its page, the first turn's evidence markup and its words."""
    assert call.outcome is not None
    await dashboard.store.finish(call.record)
    await dashboard.store.flush()
    async with client_of(dashboard, SUPERVISOR) as client:
        page = await (await client.get(f"/calls/{call.record.call_id}")).text()
    evidence = page[page.index('<details class="evidence">'):page.index("</details>")]
    return page, evidence, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", evidence)).split())


async def test_the_call_page_shows_every_turns_evidence(any_dashboard: Dashboard) -> None:
    """Stored and shown on SQLite and on PostgreSQL (the evidence nests in the entry's JSON)."""
    dashboard = any_dashboard
    call = Call(parse_flowset(FLOWS), "bank", call_id="ev2", caller="+821000", language="ko")
    call.start(NOW)
    event = heard_turn().event
    assert isinstance(event, SpeechHeard)
    assert event.evidence is not None
    # Whatever the recogniser heard is data: markup in it must be shown, never interpreted.
    hostile = replace(event, evidence=event.evidence | {"heard": "<i>x</i> 잔액 조회 하고 싶어요"})
    call.receive(hostile, NOW)  # the option leads to a hang-up: the call ends
    page, evidence, words = await shown_evidence(dashboard, call)
    assert "Evidence: chosen (matched)" in words
    assert "Words heard <i>x</i> 잔액 조회 하고 싶어요" in words
    assert "Decision matched: 잔액 조회 · share" in words
    assert "Speech 880–2140 ms into the turn · stopped the prompt" in words
    assert "Decision latency 235 ms after speech ended (early)" in words
    assert "Line wide band · low-band share 0.12" in words
    assert "잔액 조회 하고 싶어요 120.5" in words
    assert "잔액 조회 119.0" in words
    assert "&lt;i&gt;x&lt;/i&gt;" in evidence
    assert "<i>x" not in page


async def test_a_narrow_band_turn_is_offered_and_the_page_says_why(
    any_dashboard: Dashboard,
) -> None:
    dashboard = any_dashboard
    call = Call(parse_flowset(FLOWS), "bank", call_id="ev3", caller="+821000", language="ko")
    call.start(NOW)
    event = heard_turn(narrowband=True).event
    assert isinstance(event, SpeechHeard)
    assert event.narrowband
    call.receive(event, NOW)
    [entry] = [e for e in call.record.timeline if e.kind == "speech"]
    assert entry.data["result"] == "offered"  # share 1.0, but heard over a narrow-band line
    call.receive(Hangup(), NOW)
    _, _, words = await shown_evidence(dashboard, call)
    assert "Evidence: offered (matched)" in words
    assert "Line narrow band (nothing below 300 Hz) · low-band share 0.0004" in words
