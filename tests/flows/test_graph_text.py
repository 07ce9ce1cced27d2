"""Short texts on flow pictures: conditions, options, prompt excerpts, keys."""

from __future__ import annotations

from typing import Any

import pytest

from ivr.flows.graph_text import condition_text, excerpt, keys_text, option_text
from ivr.flows.model import Condition, GlobalKeys, PromptPart
from ivr.flows.nodes import Option


@pytest.mark.parametrize(
    ("when", "text"),
    [
        ({"open": "office"}, "office open"),
        ({"closed": "office"}, "office closed"),
        ({"variable": "balance.status", "equals": "ok"}, "balance.status = ok"),
        ({"variable": "tier", "one_of": ["gold", "silver"]}, "tier in gold, silver"),
        ({"variable": "amount", "greater_than": 10.5}, "amount > 10.5"),
        ({"variable": "reason"}, "reason is set"),
        ({"variable": "reason", "is_set": False}, "reason is not set"),
        ({"queue": "sales", "agents_available": 1}, "sales: ≥ 1 agents free"),
        ({"queue": "sales", "wait_below": 60}, "sales: wait < 60 s"),
        ({"caller": "^\\+1555", "language": "es"}, "caller ~ /^\\+1555/\nlanguage = es"),
    ],
)
def test_condition_text(when: dict[str, Any], text: str) -> None:
    assert condition_text(Condition.model_validate(when)) == text


def test_option_text_lists_key_phrases_and_language() -> None:
    option = Option.model_validate(
        {"key": 2, "say": ["español", "spanish", "castellano", "más"], "language": "es",
         "next": "x"}
    )
    assert option_text(option) == (
        "key 2\nor “español”, “spanish”,\n“castellano”, …\nlanguage → es"
    )
    assert option_text(Option.model_validate({"say": ["sales"], "next": "x"})) == "say “sales”"


def test_excerpt_picks_language_falls_back_and_truncates() -> None:
    field: dict[str, str | PromptPart] = {"en": "Hello there.", "es": PromptPart(text="Hola.")}
    assert excerpt(field, "es", "en") == "“Hola.”"
    assert excerpt(field, "fr", "en") == "“Hello there.”"
    assert excerpt([PromptPart(file="hi.wav"), "and more"], "en", "en") == "“[hi.wav] and more”"
    long = excerpt("word " * 50, "en", "en")
    assert long is not None
    assert long.count("\n") == 2
    assert long.endswith("…")
    assert excerpt(None, "en", "en") is None


def test_keys_text_skips_disabled_keys() -> None:
    assert keys_text(GlobalKeys()) == "0 operator · * repeat · # back"
    assert keys_text(GlobalKeys(operator=None, back=None), "front") == "* repeat"
    assert keys_text(GlobalKeys(), "front") == "0 operator (queue front) · * repeat · # back"
