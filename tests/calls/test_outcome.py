"""One outcome vocabulary: every layer that lists outcomes lists exactly the enum's."""

from __future__ import annotations

import json
import typing

from ivr.calls.outcome import HANDOFF, LOST, OutcomeKind
from ivr.calls.query import IN_PROGRESS, OUTCOMES
from ivr.flows import effects as fx
from ivr.flows import nodes as n
from ivr.web.filters import OUTCOME_LABELS


def test_stored_values_are_the_plain_strings() -> None:
    assert f"{OutcomeKind.SELF_SERVICE}" == "self_service"
    assert json.dumps({"outcome": OutcomeKind.QUEUE}) == '{"outcome": "queue"}'
    assert OutcomeKind("interrupted") is OutcomeKind.INTERRUPTED


def test_filters_labels_and_cli_choices_cover_every_outcome() -> None:
    assert set(OUTCOMES) == {*OutcomeKind, IN_PROGRESS}
    assert set(OUTCOME_LABELS) == {*OutcomeKind, IN_PROGRESS}
    assert set(OutcomeKind) >= HANDOFF | LOST


def test_the_engine_and_the_hangup_node_use_the_enum() -> None:
    assert typing.get_type_hints(fx.Outcome)["kind"] is OutcomeKind
    hangup_outcomes = typing.get_args(typing.get_type_hints(n.Hangup)["outcome"])
    assert {OutcomeKind(value) for value in hangup_outcomes} <= set(OutcomeKind)
