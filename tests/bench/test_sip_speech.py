"""The speaking callers of ``ivr bench sip --speech``: the phrase's right end and its audio."""

from __future__ import annotations

import pytest

from ivr.bench.sip_speech import (
    AFTER_PROMPT_MS,
    TAIL_MS,
    Expected,
    PhraseError,
    expected,
    utterance,
)
from ivr.speech import channels
from tests.conftest import need


def test_a_phrase_ends_where_its_option_leads() -> None:
    assert expected("예약") == Expected("booking", "bench")
    assert expected("보험") == Expected("insurance", "sales")
    with pytest.raises(PhraseError, match="예약, 보험"):
        expected("요금")


def test_the_caller_is_silent_through_the_prompt_then_speaks() -> None:
    need(channels.tools_available(), "needs espeak-ng and sox")
    said = utterance("예약", 3000)
    lead = 3000 + AFTER_PROMPT_MS
    assert set(said.ulaw[: lead * 8]) == {0xFF}  # µ-law silence while the menu plays
    words = said.ulaw[lead * 8 : len(said.ulaw) - TAIL_MS * 8]
    assert len(set(words)) > 50  # the words themselves
    assert set(said.ulaw[len(said.ulaw) - TAIL_MS * 8 :]) == {0xFF}
    assert lead + 200 < said.speech_end_ms <= lead + len(words) // 8
    assert said.ms == len(said.ulaw) // 8
