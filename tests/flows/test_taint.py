"""A PIN the flow reads back on purpose is spoken, and still stored, shown and logged nowhere.

The flow collects a sensitive PIN, reads it back with ``{pin!readback}``, copies
it (declared ``sensitive``) into a lookup body, gets a reply whose card number
is a ``sensitive_results`` part, and ends in a queue that shares every
(non-sensitive) variable with the agent. The Play effect carries the digits;
the call record, the channel variables, the SQLite store, ``ivr calls --json``
and ``ivr simulate --json`` never do. Refusals of the leaky variants are the
tests/flows/bad/sensitive_*.yaml samples.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from ivr.calls.store import open_store
from ivr.flows import effects as fx
from ivr.flows.events import Digits, LookupDone, PlaybackDone
from tests.flows.engine_walk import HEADER, Walk
from tests.stored_bytes import without_timestamps

PIN = "4321"
SPOKEN = "4 3 2 1"
CARD = "4111111111111111"
FLOWS = """\
main:
  start: ask_pin
  nodes:
    ask_pin:
      type: collect
      prompt: "Enter your PIN, then press pound."
      variable: pin
      min_digits: 4
      max_digits: 4
      sensitive: true
      next: say_pin
    say_pin:
      type: play
      prompt: "You entered {pin!readback}."
      next: copy
    copy:
      type: set
      variables: {pin_copy: "{pin}", note: "checked"}
      sensitive: [pin_copy]
      next: fetch
    fetch:
      type: lookup
      method: POST
      url: "http://127.0.0.1:9/api/card"
      body: {pin: "{pin_copy}"}
      result: card
      sensitive_results: [card.number]
      assign: {full: number, last4: last4}
      next: tell
      on_error: agent
    tell:
      type: play
      prompt: "Your card ending {card.last4} is active."
      next: agent
    agent:
      type: queue
      queue: support
"""


def _walk() -> Walk:
    walk = Walk(FLOWS)
    walk.send(Digits(PIN, terminated_by="#"))
    return walk


def test_the_readback_is_spoken_and_marked_sensitive() -> None:
    walk = _walk()
    play = walk.pending
    assert isinstance(play, fx.Play)
    assert [p.text for p in play.prompts] == [f"You entered {SPOKEN}."]
    assert all(p.sensitive for p in play.prompts)


def _finished() -> Walk:
    walk = _walk()
    walk.send(PlaybackDone())
    lookup = walk.pending
    assert isinstance(lookup, fx.Lookup)
    assert lookup.json_body is not None
    assert json.loads(lookup.json_body) == {"pin": PIN}  # the request is where the PIN may go
    walk.send(LookupDone(200, {"number": CARD, "last4": "1111", "status": "active"}))
    assert walk.texts() == ["Your card ending 1111 is active."]
    walk.send(PlaybackDone())
    assert walk.outcome.kind == "queue"
    return walk


def _dump(walk: Walk) -> str:
    record = dataclasses.asdict(walk.call.record)
    finish = next(e for e in walk.effects if isinstance(e, fx.Finish))
    return json.dumps([record, finish.variables], default=str, ensure_ascii=False)


def test_nothing_stored_or_shared_holds_the_pin_or_the_card_number() -> None:
    walk = _finished()
    everything = _dump(walk)
    for secret in (PIN, SPOKEN, CARD):
        assert secret not in everything
    variables = walk.call.record.variables
    assert variables["note"] == "checked"
    assert "pin" not in variables
    assert "pin_copy" not in variables
    assert "full" not in variables  # assigned from a sensitive part: sensitive too
    assert json.loads(variables["card"]) == {"number": "[sensitive]", "last4": "1111",
                                             "status": "active"}
    assert "[sensitive]" in everything  # the readback prompt is in the timeline, masked


async def _store(walk: Walk, url: str) -> None:
    store = await open_store(url)
    record = walk.call.record
    await store.begin(record)
    await store.append(record.call_id, walk.call.drain_timeline())
    await store.finish(record)
    await store.close()


def test_the_store_and_ivr_calls_json_never_hold_it(tmp_path: Path) -> None:
    walk = _finished()
    record = walk.call.record
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    asyncio.run(_store(walk, url))
    raw = without_timestamps((tmp_path / "calls.sqlite3").read_bytes())
    for secret in (PIN, SPOKEN, CARD):
        assert secret.encode() not in raw
    for args in (["--json"], ["show", record.call_id, "--json"]):
        shown = subprocess.run([sys.executable, "-m", "ivr", "calls", "--store", url, *args],
                               capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr
        assert record.call_id in shown.stdout
        for secret in (PIN, SPOKEN, CARD):
            assert secret not in shown.stdout + shown.stderr


def test_ivr_simulate_json_speaks_it_but_never_prints_it(tmp_path: Path) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text(HEADER + "flows:\n" + textwrap.indent(FLOWS, "  "), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "simulate", "main", "--flows", str(flows), "--json",
         "--at", "2026-11-20T10:00-05:00", "--input", f"{PIN}#"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "[sensitive]" in result["prompts"]  # the readback was played
    for secret in (PIN, SPOKEN):
        assert secret not in done.stdout + done.stderr
