"""One interpreter: only ``CallSession`` feeds a call's events to the engine.

Live calls, ``ivr simulate`` and ``ivr replay`` differ in their transport, never in the
loop that answers the engine's effects (``Call.receive``). A module that calls
``receive`` itself has written that loop a second time. The benches that *make* calls to
measure on drive the engine bare, on purpose: they stand for no caller.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.architecture.imports import modules

#: The interpreter, and the benches that build their test calls straight on the engine.
#: The accuracy bench still hands each recognised turn to a bare engine (``menu_outcome``:
#: one ``SpeechHeard`` to a menu, to read its verdict); its listening turn itself is the
#: call's own (``ivr.speech.turn_step``), not a loop of its own.
ALLOWED = {"ivr.interpreter.session", "ivr.bench.replay_calls", "ivr.bench.asr_accuracy"}


def feeds_the_engine(source: str) -> bool:
    """True when *source* calls a ``receive`` method (``call.receive(event, now)``)."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr == "receive" for node in ast.walk(ast.parse(source)))


def test_only_the_interpreter_feeds_events_to_the_engine() -> None:
    feeding = {name for name, path in modules().items()
               if feeds_the_engine(Path(path).read_text(encoding="utf-8"))}
    assert feeding - ALLOWED == set()
    assert "ivr.interpreter.session" in feeding  # the scan sees the one loop that is meant


def test_the_scan_sees_a_loop_written_again() -> None:
    # The shape of the replay's own loop before it ran through CallSession.
    old_drive = "for _ in range(500):\n    self.call.receive(self.answer(pending), self.now)\n"
    assert feeds_the_engine(old_drive)
    assert not feeds_the_engine("effects = session.run()\n")
