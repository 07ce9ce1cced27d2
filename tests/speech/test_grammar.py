"""Reading Vosk results against a menu's phrases (pure)."""

from __future__ import annotations

import json

from ivr.speech.grammar import (
    grammar_json,
    interpret_freeform,
    interpret_grammar,
    normalise,
    uncovered_ms,
)


def result(*words: tuple[str, float, float, float]) -> dict[str, object]:
    return {
        "result": [{"word": w, "conf": c, "start": s, "end": e} for w, c, s, e in words],
        "text": " ".join(w for w, *_ in words),
    }


def test_grammar_json_keeps_hangul_and_adds_unk_only_when_the_model_has_it() -> None:
    text = grammar_json(["보험", " 보험", "Billing!", ""], with_unk=False)
    assert "보험" in text
    assert json.loads(text) == ["보험", "billing"]
    assert json.loads(grammar_json(["yes"], with_unk=True)) == ["yes", "[unk]"]


def test_normalise() -> None:
    assert normalise("  Talk   to an AGENT, please. ") == "talk to an agent please"


def test_one_whole_phrase_is_in_grammar_with_the_weakest_word_confidence() -> None:
    r = interpret_grammar(result(("talk", 0.9, 0.1, 0.3), ("agent", 0.6, 0.3, 0.6)),
                          ["Talk agent", "billing"])
    assert (r.text, r.confidence, r.in_grammar) == ("Talk agent", 0.6, True)


def test_several_phrases_a_fragment_unk_or_nothing_are_off_menu() -> None:
    phrases = ["talk agent", "billing"]
    for res in (
        result(("billing", 1.0, 0, 0.4), ("billing", 1.0, 0.5, 0.9)),
        result(("talk", 1.0, 0, 0.4)),
        result(("[unk]", 1.0, 0, 0.4), ("billing", 1.0, 0.5, 0.9)),
        {"text": ""},
    ):
        r = interpret_grammar(res, phrases)
        assert not r.in_grammar
        assert r.confidence == 0.0


def test_a_phrase_that_explains_only_part_of_the_speech_is_off_menu() -> None:
    res = result(("billing", 1.0, 0.5, 0.9))
    inside = list(range(500, 900, 20))
    assert interpret_grammar(res, ["billing"], inside).in_grammar
    long_talk = list(range(0, 2000, 20))
    assert uncovered_ms(interpret_grammar(res, ["billing"]).words, long_talk) > 1000
    assert not interpret_grammar(res, ["billing"], long_talk).in_grammar


def test_freeform() -> None:
    r = interpret_freeform(result(("안녕", 0.8, 0, 0.3), ("하세요", 0.7, 0.3, 0.6)))
    assert (r.text, r.confidence, r.in_grammar) == ("안녕 하세요", 0.7, True)
    assert interpret_freeform({"text": ""}).confidence == 0.0
