"""Menus: keys, speech, retries in the FreePBX/FreeSWITCH manner, and the global keys."""

from __future__ import annotations

from ivr.calls.outcome import OutcomeKind
from ivr.flows import effects as fx
from ivr.flows.events import Digits, Hangup, NoInput, PlaybackDone, SpeechHeard
from tests.flows.engine_walk import HEADER, Walk

MENUS = """\
main:
  start: menu
  nodes:
    menu:
      type: menu
      prompt: "Press 1 for sales or 2 for more."
      no_input: "I did not hear you."
      no_match: "That is not a choice."
      options:
        - {key: 1, say: [sales, buy], next: to_sales}
        - {key: 2, say: [more], next: more}
    more:
      type: menu
      prompt: "More. Press 1 for support."
      options:
        - {key: 1, next: to_support}
    to_sales: {type: queue, queue: sales, priority: 5, music_class: jazz, max_wait: 300}
    to_support: {type: queue, queue: support}
"""


def test_a_key_chooses_its_option() -> None:
    walk = Walk(MENUS)
    assert isinstance(walk.effects[0], fx.Answer)
    gather = walk.pending
    assert isinstance(gather, fx.Gather)
    assert gather.digits is not None
    assert "1" in gather.digits.valid_keys
    assert gather.speech is not None
    assert set(gather.speech.phrases or ()) >= {"sales", "buy", "more"}
    walk.send(Digits("1"))
    finish = walk.effects[-1]
    assert isinstance(finish, fx.Finish)
    assert walk.outcome == fx.Outcome(OutcomeKind.QUEUE, "to_sales", queue="sales", priority=5,
                                      music_class="jazz", max_wait_s=300)
    assert finish.variables["IVR_QUEUE"] == "sales"
    assert walk.call.record.path == ["menu", "to_sales"]


def test_speech_chooses_an_option_and_is_noted_with_its_confidence() -> None:
    walk = Walk(MENUS)
    walk.send(SpeechHeard("I want to buy", 0.9))
    assert walk.outcome.queue == "sales"
    speech = [e for e in walk.call.record.timeline if e.kind == "speech"]
    assert speech[0].data["option"] is not None
    assert speech[0].data["confidence"] == 0.9


def test_unsure_speech_is_confirmed_before_acting() -> None:
    walk = Walk(MENUS)
    walk.send(SpeechHeard("sales", 0.45))  # above min_confidence, below confirm_below
    assert walk.call.outcome is None
    assert any("sales" in t.lower() for t in walk.texts())
    walk.send(Digits("1"))  # "yes"
    assert walk.outcome.queue == "sales"


def test_silence_and_wrong_keys_retry_then_go_to_the_operator() -> None:
    walk = Walk(MENUS)
    walk.send(NoInput())
    assert walk.texts()[0] == "I did not hear you."
    assert walk.texts()[-1] == "Press 1 for sales or 2 for more."
    walk.send(Digits("7"))
    assert walk.outcome == fx.Outcome(OutcomeKind.QUEUE, "menu", queue="operator", priority=0,
                                      reason="max_attempts:no_match")
    kinds = [e.kind for e in walk.call.record.timeline]
    assert kinds.count("retry") >= 1
    assert "no_input" in kinds


def test_global_keys_repeat_go_back_and_reach_the_operator() -> None:
    walk = Walk(MENUS)
    walk.send(Digits("2"))
    assert walk.texts() == ["More. Press 1 for support."]
    walk.send(Digits("*"))  # repeat
    assert walk.texts() == ["More. Press 1 for support."]
    walk.send(Digits("#"))  # back
    assert walk.texts() == ["Press 1 for sales or 2 for more."]
    walk.send(Digits("0"))  # operator, from any menu
    assert walk.outcome.queue == "operator"


def test_hanging_up_in_a_menu_leaves_a_complete_abandoned_record() -> None:
    walk = Walk(MENUS)
    walk.send(Digits("2"))
    walk.send(Hangup())
    record = walk.call.record
    assert (record.outcome, record.outcome_node) == ("abandoned", "more")
    assert record.ended_at == walk.now
    assert [e.kind for e in record.timeline][-2:] == ["hangup", "outcome"]


def test_a_play_node_runs_on_when_the_prompt_ends() -> None:
    walk = Walk("""\
main:
  start: hello
  nodes:
    hello: {type: play, prompt: "Hello {caller}.", next: bye}
    bye: {type: hangup, prompt: "Bye.", outcome: self_service}
""", caller="+15550111")
    assert walk.texts() == ["Hello +15550111."]
    walk.send(PlaybackDone())
    assert walk.texts() == ["Bye."]
    walk.send(PlaybackDone())  # the goodbye is heard before the line drops
    assert walk.outcome.kind == "self_service"


def test_a_sure_pick_over_a_narrow_band_line_is_confirmed_first() -> None:
    walk = Walk(MENUS)
    walk.send(SpeechHeard("sales", 1.0, narrowband=True))
    assert walk.call.outcome is None
    assert any("sales" in t.lower() for t in walk.texts())  # "Did you say sales?"
    speech = [e for e in walk.call.record.timeline if e.kind == "speech"]
    assert speech[-1].data["result"] == "offered"
    assert speech[-1].data["narrowband"] is True
    walk.send(Digits("1"))  # "yes"
    assert walk.outcome.queue == "sales"


def test_narrow_band_confirmation_can_be_turned_off_for_the_file_or_one_menu() -> None:
    header = HEADER.replace("settings:\n", "settings:\n  confirm_narrowband: false\n")
    assert header != HEADER
    walk = Walk(MENUS, header=header)
    walk.send(SpeechHeard("sales", 1.0, narrowband=True))
    assert walk.outcome.queue == "sales"

    off_for_menu = MENUS.replace("      type: menu\n      prompt: \"Press 1",
                                 "      type: menu\n      confirm_narrowband: false\n"
                                 "      prompt: \"Press 1", 1)
    assert off_for_menu != MENUS
    walk = Walk(off_for_menu)
    walk.send(SpeechHeard("sales", 1.0, narrowband=True))
    assert walk.outcome.queue == "sales"
