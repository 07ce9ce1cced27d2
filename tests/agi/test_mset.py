"""A call's hand-off variables planned as ``EXEC MSet`` commands (pure; see tests/asterisk)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ivr.agi.mset import MAX_PAIRS, batchable, plan_handoff
from ivr.agi.protocol import MAX_COMMAND_BYTES, encode_command

#: The hand-off of a DTMF call to a queue, as ``ivr bench sip`` sees it.
HANDOFF = {"IVR_OUTCOME": "queue", "IVR_NODE": "support", "IVR_QUEUE": "bench",
           "IVR_PRIORITY": "0", "IVR_LANGUAGE": "en", "IVR_PATH": "welcome,help_menu,support",
           "IVR_FLOW_VERSION": "0416b7207f98", "IVR_CALL_ID": "1796043528.39800"}
PAIR = re.compile(r'([A-Za-z0-9_]+)="([^"]*)"(?:,|$)')


def carried(data: str) -> dict[str, str]:
    """The pairs of one MSet argument (its values hold no quotes, so each pair ends at '",')."""
    pairs = PAIR.findall(data)
    assert ",".join(f'{n}="{v}"' for n, v in pairs) == data
    return dict(pairs)


def test_a_queue_hand_off_is_one_command() -> None:
    plan = plan_handoff(HANDOFF)
    assert plan.singles == {}
    assert len(plan.batches) == 1
    assert carried(plan.batches[0]) == HANDOFF
    assert 'IVR_PATH="welcome,help_menu,support"' in plan.batches[0]


def test_one_variable_is_not_worth_an_mset() -> None:
    assert plan_handoff({"IVR_OUTCOME": "hangup"}).singles == {"IVR_OUTCOME": "hangup"}
    assert plan_handoff({}).batches == ()


def test_values_asterisk_would_parse_keep_their_own_set_variable() -> None:
    hostile = {"A": 'say "hi"', "B": "back\\slash", "C": "f(x)", "D": "[x]", "E": "${EXTEN}",
               "F": "two\nlines", "G": "tab\there"}
    plan = plan_handoff({**hostile, "IVR_OUTCOME": "queue", "IVR_QUEUE": "sales"})
    assert plan.singles == hostile
    assert [carried(b) for b in plan.batches] == [{"IVR_OUTCOME": "queue", "IVR_QUEUE": "sales"}]
    for value in ("a=b", "잔액 조회", "x, y", "+15550100", "sip:alice@example.com"):
        assert batchable(value)


def test_many_or_long_values_are_split_into_lines_asterisk_can_read() -> None:
    many = {f"V{i}": str(i) for i in range(250)}
    plan = plan_handoff(many)
    assert all(len(carried(b)) <= MAX_PAIRS for b in plan.batches)
    assert len(plan.batches) == 3
    long = {f"L{i}": "x" * 3000 for i in range(5)} | {"HUGE": "y" * MAX_COMMAND_BYTES}
    plan = plan_handoff(long)
    # Two 3,000-byte values share a line, a third would not; the fifth is left alone and the
    # one too long for any MSet line keeps SET VARIABLE (which refuses it as before).
    assert [len(carried(b)) for b in plan.batches] == [2, 2]
    assert plan.singles == {"L4": "x" * 3000, "HUGE": "y" * MAX_COMMAND_BYTES}


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
values = st.one_of(st.text(max_size=40), st.text(alphabet="abc,= ()$\"\\", max_size=12),
                   st.text(min_size=2000, max_size=5000, alphabet="xy,"))


@given(st.dictionaries(names, values, max_size=120))
def test_every_variable_travels_exactly_once_and_every_line_fits(
        handoff: dict[str, str]) -> None:
    plan = plan_handoff(handoff)
    seen: dict[str, str] = dict(plan.singles)
    for data in plan.batches:
        assert len(encode_command("EXEC", "MSet", data)) <= MAX_COMMAND_BYTES
        pairs = carried(data)
        assert 2 <= len(pairs) <= MAX_PAIRS
        assert all(batchable(v) for v in pairs.values())
        assert not seen.keys() & pairs.keys()
        seen |= pairs
    assert seen == handoff
