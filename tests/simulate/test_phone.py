"""The simulator behaves like a phone: type-ahead, partial entries, hang-ups anywhere.

These drive :func:`ivr.simulate.driver.run_flow` in-process on a flow with every kind
of node; the key rules are the FastAGI path's own (:mod:`ivr.flows.keys`).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.flows.loader import load_flowset, parse_flowset
from ivr.simulate.driver import Simulation, run_flow, scripted
from tests.conftest import ROOT

FLOWS = """\
version: 1
settings:
  operator_queue: operator
  max_attempts: 2
queues:
  operator: {description: Front desk}
  sales: {description: Sales}
flows:
  main:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: "1 account, 2 hours, 3 address, 4 sales, 5 message, 6 agent, 7 fast account."
        options:
          - {key: 1, say: [account], next: account}
          - {key: 2, next: hours}
          - {key: 3, next: address}
          - {key: 4, next: sales}
          - {key: 5, next: message}
          - {key: 6, next: desk}
          - {key: 7, next: quick_account}
      hours:
        type: play
        prompt: "We are open nine to five."
        interruptible: false
        next: menu
      account:
        type: collect
        prompt: "Enter your account number, then press pound."
        variable: account
        min_digits: 4
        max_digits: 8
        next: fetch
      quick_account:
        type: collect
        prompt: "Enter your account number."
        variable: account
        min_digits: 4
        max_digits: 4
        next: fetch
      fetch:
        type: lookup
        url: "http://127.0.0.1:9/nothing-listens-here"
        hold_prompt: "One moment."
        result: balance
        next: bye
        on_error: bye
      address:
        type: record
        prompt: "Say your address."
        variable: address
        next: bye
      sales:
        type: queue
        queue: sales
        prompt: "Connecting you to sales."
      message:
        type: voicemail
        prompt: "Leave a message."
      desk:
        type: transfer
        target: "PJSIP/desk"
        prompt: "Transferring you."
      bye:
        type: hangup
        prompt: "Goodbye."
  csat:
    start: rate
    nodes:
      rate: {type: survey, prompt: "Rate us from 1 to 5.", next: thanks}
      thanks: {type: hangup, prompt: "Bye."}
"""
AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


async def call(*inputs: str, flow: str = "main", flows: str = FLOWS) -> Simulation:
    return await run_flow(parse_flowset(flows), flow, scripted(inputs), at=AT)


def entered(sim: Simulation) -> list[tuple[str | None, str | None]]:
    """(node, digits) of every key entry the engine received."""
    return [(e.node, e.data.get("digits")) for e in sim.call.record.timeline
            if e.kind == "digits"]


async def test_keys_typed_ahead_answer_the_next_question() -> None:
    # 1 chooses the account menu option; 2345# was pressed while its prompt started.
    sim = await call("12345#")
    assert entered(sim)[:2] == [("menu", "1"), ("account", "2345")]
    assert sim.call.variables["account"] == "2345"
    assert sim.notes == []


async def test_keys_beyond_the_maximum_stay_typed_ahead() -> None:
    sim = await call("712349")  # the quick account takes 4 keys; 9 stays ahead
    assert entered(sim)[:2] == [("menu", "7"), ("quick_account", "1234")]
    assert any("keys 9 pressed during" in n and "fetch" in n for n in sim.notes)


async def test_keys_during_a_prompt_that_does_not_take_them_are_lost() -> None:
    # 2: hours is a play nobody may interrupt; the 1 pressed during it is lost, as on Asterisk.
    sim = await call("21", "hangup")
    assert entered(sim) == [("menu", "2")]
    assert "keys 1 pressed during a prompt at hours that does not take them were lost, " \
           "as on a phone" in sim.notes
    assert (sim.call.record.outcome, sim.call.record.outcome_node) == ("abandoned", "hours")


async def test_partial_digits_then_silence_end_the_entry_with_what_was_keyed() -> None:
    sim = await call("1", "12", "timeout", "hangup")
    assert entered(sim)[1] == ("account", "12")  # too short: a no-match, asked again
    assert [e.kind for e in sim.call.record.timeline if e.kind in ("no_match", "no_input")] \
        == ["no_match"]


async def test_an_entry_goes_on_across_inputs_until_its_finish_key() -> None:
    sim = await call("1", "12", "34#")
    assert entered(sim)[1] == ("account", "1234")


async def test_words_where_only_keys_are_listened_for_are_silence() -> None:
    sim = await call("1", "say:banana", "hangup")
    assert any("said 'banana' at account, which listens only for keys" in n for n in sim.notes)
    assert [e.kind for e in sim.call.record.timeline if e.kind == "no_input"] == ["no_input"]


async def test_keys_typed_ahead_from_a_pin_are_never_shown() -> None:
    flowset = load_flowset(ROOT / "flows.yaml")
    sim = await run_flow(flowset, "main", scripted(["1", "3", "123456", "1", "432187"]), at=AT)
    assert "keys (2 sensitive) pressed during a prompt at fetch_balance that does not take " \
           "them were lost, as on a phone" in sim.notes
    assert not any("87" in note or "4321" in note for note in sim.notes)
    spoken = await run_flow(flowset, "main", scripted(["1", "3", "123456", "1", "say:4321",
                                                       "43x1"]), at=AT)
    assert "said (sensitive) at ask_pin, which listens only for keys: not heard (silence)" \
        in spoken.notes
    assert not any("4321" in note or "43x1" in note for note in spoken.notes)


@pytest.mark.parametrize(("inputs", "node"), [
    (("hangup",), "menu"),                       # at a question
    (("1", "hangup"), "account"),                # at a collect
    (("2", "hangup"), "hours"),                  # during a play
    (("1", "1234#", "hangup"), "fetch"),         # during the lookup's hold prompt
    (("3", "hangup"), "address"),                # during a recording
    (("4", "hangup"), "sales"),                  # during the queue announcement
    (("5", "hangup"), "message"),                # before the voicemail is left
    (("6", "hangup"), "desk"),                   # during the transfer announcement
])
async def test_hanging_up_at_each_kind_of_node_abandons_the_call_there(
        inputs: tuple[str, ...], node: str) -> None:
    sim = await call(*inputs)
    assert (sim.call.record.outcome, sim.call.record.outcome_node) == ("abandoned", node)


async def test_hanging_up_during_the_lookup_itself() -> None:
    flows = FLOWS.replace('        hold_prompt: "One moment."\n', "")
    sim = await call("1", "1234#", "hangup", flows=flows)
    assert (sim.call.record.outcome, sim.call.record.outcome_node) == ("abandoned", "fetch")
    assert sim.lookups() == []  # the caller left before the request was made


async def test_keys_typed_ahead_are_kept_through_a_lookup() -> None:
    # Nothing plays while the lookup runs and the phone listens meanwhile (on FastAGI in
    # WAIT FOR DIGITs), so the 4 pressed after the account number answers the next menu.
    fetch = '        result: balance\n        next: bye\n        on_error: bye\n'
    assert fetch in FLOWS
    flows = FLOWS.replace('        hold_prompt: "One moment."\n', "").replace(
        fetch, fetch.replace("bye", "menu"))
    sim = await call("1", "1234#4", flows=flows)
    assert (sim.call.record.outcome, sim.call.record.queue) == ("queue", "sales")
    assert not any("lost" in note for note in sim.notes)
    # Behind a hold prompt, which takes no keys, they are lost as before.
    held = await call("1", "1234#4", flows=FLOWS.replace(fetch, fetch.replace("bye", "menu")))
    assert held.call.record.queue != "sales"
    assert any("at fetch that does not take them were lost" in note for note in held.notes)


async def test_hanging_up_during_the_goodbye_is_not_abandoned() -> None:
    sim = await call("1", "1234#", "say:x", "hangup")
    assert sim.call.record.outcome == "hangup"


async def test_a_survey_hang_up_is_a_finished_survey_without_a_score() -> None:
    sim = await call("hangup", flow="csat")
    assert sim.as_json()["outcome"] == "hangup"
    assert sim.as_json()["reason"] == "survey_no_score"
    assert sim.as_json()["survey_score"] is None


async def test_a_failed_lookup_says_why() -> None:
    sim = await call("1", "1234#")
    (lookup,) = sim.as_json()["lookups"]
    assert lookup["node"] == "fetch"
    assert lookup["ok"] is False
    assert lookup["error"] == "connection refused"
