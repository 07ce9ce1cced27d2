"""The engine's own prompts speak the caller's language: Korean beside English and Spanish.

A Korean call hears the Korean apology after silence and after a wrong key,
the Korean readback of keyed digits, "Did you say …?", the callback offer and
its confirmation, the voicemail goodbye and the survey's thanks. A language
the project does not ship works once the flow brings its own texts.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.flows import effects as fx
from ivr.flows.builtin_prompts import BUILTIN_PROMPTS
from ivr.flows.engine import Call
from ivr.flows.events import Digits, Event, NoInput, QueueStatus, Recorded, SpeechHeard
from ivr.flows.loader import parse_flowset
from ivr.flows.problems import FlowErrors

NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
FILE = """\
version: 1
settings:
  languages: [en, es, ko]
  max_attempts: 3
queues:
  operator: {description: Front desk}
flows:
  menu:
    start: m
    nodes:
      m:
        type: menu
        prompt: {en: "Press 1.", ko: "1번을 누르세요."}
        options: [{key: 1, next: bye}]
      bye: {type: hangup}
  digits:
    start: c
    nodes:
      c: {type: collect, prompt: {en: "Account?", ko: "계좌 번호를 입력하세요."}, variable: account,
          min_digits: 3, max_digits: 3, confirm: true, next: bye}
      bye: {type: hangup}
  wait:
    start: q
    nodes:
      q: {type: queue, queue: operator, callback: {when_wait_over: 60}}
  message:
    start: v
    nodes:
      v: {type: voicemail, prompt: {en: "Leave a message.", ko: "메시지를 남겨 주세요."}}
  rate:
    start: s
    nodes:
      s: {type: survey, prompt: {en: "Rate us 1 to 5.", ko: "1점부터 5점까지 평가해 주세요."}}
"""
KO = BUILTIN_PROMPTS


def texts(effects: list[fx.Effect]) -> list[str]:
    """Every prompt text the effects would play."""
    out: list[str] = []
    for e in effects:
        if isinstance(e, fx.Play | fx.Gather | fx.Record):
            out += [p.text or "" for p in e.prompts]
    return out


def korean_call(flow: str, *events: Event) -> list[str]:
    """Texts heard after the last of *events* in a Korean call of *flow*."""
    call = Call(parse_flowset(FILE), flow, call_id="k1", caller="+821012345678",
                language="ko")
    effects = call.start(NOW)
    for event in events:
        effects = call.receive(event, NOW)
    return texts(effects)


@pytest.mark.parametrize(("flow", "events", "heard"), [
    ("menu", [NoInput()], KO["no_input"]["ko"]),
    ("menu", [Digits("7")], KO["no_match"]["ko"]),
    ("digits", [Digits("123")], "입력하신 번호는 1 2 3입니다. 맞으면 1번을, 다시 입력하시려면 "
                                "2번을 눌러 주세요."),
    ("wait", [QueueStatus("operator", available=0, estimated_wait_s=600.0)],
     KO["callback_offer"]["ko"]),
    ("wait", [QueueStatus("operator", available=0, estimated_wait_s=600.0), Digits("1")],
     KO["callback_confirmation"]["ko"]),
    ("message", [Recorded("vm/k1.wav", 12.0)], KO["voicemail_goodbye"]["ko"]),
    ("rate", [Digits("5")], KO["survey_thanks"]["ko"]),
])
def test_a_korean_call_hears_korean_built_ins(flow: str, events: list[Event], heard: str) -> None:
    assert heard in korean_call(flow, *events)


def test_every_built_in_ships_in_english_spanish_and_korean() -> None:
    for name, by_language in BUILTIN_PROMPTS.items():
        assert {"en", "es", "ko"} <= set(by_language), name
        assert all(text.strip() for text in by_language.values()), name


def test_the_same_call_in_english_hears_english() -> None:
    call = Call(parse_flowset(FILE), "menu", call_id="e1", language="en")
    call.start(NOW)
    assert KO["no_input"]["en"] in texts(call.receive(NoInput(), NOW))


FRENCH = FILE.replace(
    "languages: [en, es, ko]", "languages: [en, es, ko, fr]\n  prompts:\n" + "".join(
        f'    {name}: {{fr: "FR {name}{" {value}" if name == "readback" else ""}"}}\n'
        for name in BUILTIN_PROMPTS))


def test_a_language_not_shipped_works_with_the_flows_own_texts() -> None:
    call = Call(parse_flowset(FRENCH), "menu", call_id="f1", language="fr")
    call.start(NOW)
    assert "FR no_input" in texts(call.receive(NoInput(), NOW))
    digits = Call(parse_flowset(FRENCH), "digits", call_id="f2", language="fr")
    digits.start(NOW)
    assert texts(digits.receive(Digits("123"), NOW))[-1] == "FR readback 1 2 3"


def test_validate_names_what_a_new_language_lacks() -> None:
    partial = FRENCH.replace('    survey_thanks: {fr: "FR survey_thanks"}\n', "")
    with pytest.raises(FlowErrors) as caught:
        parse_flowset(partial)
    assert [p.message for p in caught.value.problems] == [
        "built-in prompts missing in 'fr': survey_thanks"]


def test_unknown_built_in_names_get_a_did_you_mean() -> None:
    typo = FILE.replace("  max_attempts: 3\n", "  max_attempts: 3\n  prompts: {no_imput: {}}\n")
    with pytest.raises(FlowErrors) as caught:
        parse_flowset(typo)
    assert [(p.message, p.hint) for p in caught.value.problems] == [
        ("no built-in prompt named 'no_imput'", "did you mean 'no_input'?")]


SPOKEN = """\
version: 1
settings:
  languages: [en, ko]
queues:
  operator: {description: Front desk}
flows:
  bank:
    start: m
    nodes:
      m:
        type: menu
        prompt: {en: "Say balance.", ko: "잔액 조회라고 말씀하세요."}
        options:
          - {key: 1, say: [balance, 잔액 조회], label: balance-check, next: bye}
          - {key: 2, say: [transfer, 계좌 이체], label: transfer, next: bye}
      bye: {type: hangup}
"""


@pytest.mark.parametrize(("language", "said", "question"), [
    ("ko", "잔액 조회", "잔액 조회, 맞습니까?"),
    ("en", "balance", "Did you say balance?"),
])
def test_did_you_say_repeats_the_phrase_the_caller_said_not_the_label(
    language: str, said: str, question: str
) -> None:
    call = Call(parse_flowset(SPOKEN), "bank", call_id="c1", language=language)
    call.start(NOW)
    asked = texts(call.receive(SpeechHeard(said, 0.45), NOW))
    assert len(asked) == 1
    assert asked[0].startswith(question)
    assert "balance-check" not in asked[0]


@pytest.mark.parametrize(("answer", "chosen"), [("네", True), ("아니요", False), ("예", True)])
def test_did_you_say_is_answered_by_voice(answer: str, chosen: bool) -> None:
    call = Call(parse_flowset(SPOKEN), "bank", call_id="c2", language="ko")
    call.start(NOW)
    effects = call.receive(SpeechHeard("잔액 조회", 0.45), NOW)
    gather = next(e for e in effects if isinstance(e, fx.Gather))
    assert gather.speech is not None
    assert answer in (gather.speech.phrases or ())
    assert not gather.speech.carriers  # "네 하고 싶어요" is no answer to listen for
    call.receive(SpeechHeard(answer, 0.9), NOW)
    picked = [e.data for e in call.record.timeline if e.kind == "option_chosen"]
    assert picked == ([{"option": "balance-check", "via": "speech", "target": "bye"}]
                      if chosen else [])
