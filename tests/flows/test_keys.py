"""Keys typed ahead meet prompts and entries by one rule (the phone and FastAGI share it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.flows.effects import DigitSpec
from ivr.flows.events import Digits
from ivr.flows.keys import add_key, enter_keys, meet_prompt

PIN = DigitSpec(min_digits=4, max_digits=4, finish_key="#", valid_keys="0123456789")
KEYS = st.text(alphabet="0123456789*#", max_size=12)


def test_the_first_key_a_prompt_listens_for_stops_it_and_the_ones_before_are_lost() -> None:
    assert meet_prompt("*91", "12") == ("1", "*9", "")
    assert meet_prompt("12", "12") == ("1", "", "2")
    assert meet_prompt("93", "12") == (None, "93", "")
    assert meet_prompt("", "12") == (None, "", "")


@given(KEYS, st.text(alphabet="0123456789*#", max_size=4))
def test_meeting_a_prompt_loses_or_keeps_every_key(ahead: str, escape: str) -> None:
    met = meet_prompt(ahead, escape)
    assert met.lost + (met.key or "") + met.ahead == ahead
    assert not any(key in escape for key in met.lost)


def test_an_entry_takes_what_it_needs_and_leaves_the_rest_typed_ahead() -> None:
    assert enter_keys("", "123456", PIN) == ("1234", Digits("1234"), "", "56")
    assert enter_keys("1", "2#9", PIN) == ("12", Digits("12", terminated_by="#"), "", "9")
    assert enter_keys("", "1*2", PIN) == ("12", None, "*", "")
    assert enter_keys("", "12", None) == ("", None, "12", "")


@given(KEYS)
def test_typed_ahead_keys_enter_as_if_pressed_one_by_one(ahead: str) -> None:
    keys, done, taken = "", None, 0
    for key in ahead:
        keys, done = add_key(keys, key, PIN)
        taken += 1
        if done is not None:
            break
    entry = enter_keys("", ahead, PIN)
    assert (entry.entered, entry.done, entry.ahead) == (keys, done, ahead[taken:])
