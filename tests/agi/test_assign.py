"""Packing channel variables into one ``ARRAY()`` assignment (ivr.agi.assign)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.agi.assign import MAX_PACKED_BYTES, plan_assignments, read_packed, split_like_array
from ivr.agi.protocol import encode_command

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
VALUES = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.,:-]{0,30}", fullmatch=True),
    st.text(st.characters(exclude_characters="\r\n\x00", exclude_categories=["Cs"]),
            max_size=30),
)


def _applied(values: dict[str, str]) -> dict[str, str]:
    plan = plan_assignments(values)
    seen: dict[str, str] = {}
    if plan.packed is not None:
        seen.update(read_packed(*plan.packed))
    seen.update(plan.single)
    return seen


@given(st.dictionaries(NAMES, VALUES, max_size=12))
def test_every_variable_is_set_to_its_exact_value(values: dict[str, str]) -> None:
    assert _applied(values) == values


@given(st.dictionaries(NAMES, VALUES, max_size=120))
def test_the_packed_command_fits_and_packs_only_what_it_can(values: dict[str, str]) -> None:
    plan = plan_assignments(values)
    if plan.packed is None:
        assert plan.single == values
        return
    assert len(encode_command("SET VARIABLE", *plan.packed)) <= MAX_PACKED_BYTES
    names = plan.packed[0][len("ARRAY("):-1].split(",")
    assert 2 <= len(names) <= 100
    assert set(names).isdisjoint(plan.single)


def test_a_hand_off_is_one_command_but_for_free_text() -> None:
    plan = plan_assignments({
        "IVR_OUTCOME": "queue", "IVR_NODE": "support", "IVR_QUEUE": "bench",
        "IVR_LANGUAGE": "en", "IVR_PATH": "welcome,help_menu,support",
        "IVR_FLOW_VERSION": "3f2a9c", "IVR_CALL_ID": "1701-aa.1", "IVR_REASON": "no input",
        "IVR_VAR_name": "김철수", "IVR_VAR_note": 'a "b" (c)',
    })
    assert plan.packed == (
        "ARRAY(IVR_OUTCOME,IVR_NODE,IVR_QUEUE,IVR_LANGUAGE,IVR_PATH,IVR_FLOW_VERSION,IVR_CALL_ID)",
        'queue,support,bench,en,"welcome,help_menu,support",3f2a9c,1701-aa.1',
    )
    assert plan.single == {"IVR_REASON": "no input", "IVR_VAR_name": "김철수",
                           "IVR_VAR_note": 'a "b" (c)'}


def test_one_plain_value_is_not_worth_an_array() -> None:
    assert plan_assignments({"IVR_OUTCOME": "error", "IVR_REASON": "unknown flow"}).packed is None


def test_the_splitter_model_keeps_quoted_and_nested_commas() -> None:
    assert split_like_array('a,"b,c",d(e,f),[g,h],i\\,j') == ["a", "b,c", "d(e,f)", "[g,h]", "i,j"]
    assert split_like_array('"(",x') == ["(,x"]  # a parenthesis counts inside quotes too
