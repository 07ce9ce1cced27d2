"""The per-call diagram lights exactly the edges the caller took, across a goto (real engine)."""

from __future__ import annotations

import shutil

import pytest

from ivr.flows.engine import Call
from ivr.flows.flowset import FlowSet
from ivr.flows.graph import ENTRY, render
from ivr.flows.graph_path import Hop, flows_entered, hops
from tests.conftest import need
from tests.flows.engine_walk import balance_call_giving_up_at_pin
from tests.flows.svg import Shape, parse_svg
from tests.flowsets import example_flowset

LIT = "#ea580c"


@pytest.fixture(scope="module")
def example() -> FlowSet:
    return example_flowset()


@pytest.fixture(scope="module")
def account_call(example: FlowSet) -> Call:
    # Spanish by key 2, balance by key 3 (a goto into "account"), an account number,
    # confirmed, then silence at the PIN until the tries run out.
    return balance_call_giving_up_at_pin(example)


def _lit(shapes: list[Shape]) -> list[bool]:
    return [LIT in s.strokes for s in shapes]


def test_hops_name_the_edge_and_the_flow(account_call: Call) -> None:
    steps = hops(account_call.record.timeline, ENTRY)
    assert steps == [
        Hop("main", ENTRY, "choose_language", "start"),
        Hop("main", "choose_language", "check_hours", "option:español"),
        Hop("main", "check_hours", "main_menu", None),
        Hop("main", "main_menu", "account", "option:balance"),
        Hop("main", "account", "flow:account", None),
        Hop("account", ENTRY, "ask_account", "start"),
        Hop("account", "ask_account", "ask_pin", None),
        Hop("account", "ask_pin", "ask_pin", "retry"),
        Hop("account", "ask_pin", "ask_pin", "retry"),
        Hop("account", "ask_pin", "too_many_tries", "on_no_input"),
    ]
    assert flows_entered(steps) == ["main", "account"]


def test_main_diagram_lights_only_the_option_taken(example: FlowSet, account_call: Call) -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed")
    steps = hops(account_call.record.timeline, ENTRY)
    nodes, edges, _ = parse_svg(render(example, "main", "svg", taken=steps))
    # Three parallel edges lead from choose_language to check_hours: only key 2 was taken.
    parallel = edges["choose_language->check_hours"]
    assert len(parallel) == 3
    (taken,) = [s for s in parallel if LIT in s.strokes]
    assert "#2 key 2" in taken.texts
    lit_edges = {title for title, shapes in edges.items() if any(_lit(shapes))}
    assert lit_edges == {f"{ENTRY}->choose_language", "choose_language->check_hours",
                         "check_hours->main_menu", "main_menu->account"}
    # Of main_menu's edges into "account" only "balance" (key 3) is lit, numbered step 4.
    (balance,) = [s for s in edges["main_menu->account"] if LIT in s.strokes]
    assert "#4 key 3" in balance.texts
    lit_nodes = {t for t, s in nodes.items() if "#fde047" in s.fills}
    assert lit_nodes == {"choose_language", "check_hours", "main_menu", "account"}


def test_account_diagram_continues_after_the_goto(example: FlowSet, account_call: Call) -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed")
    steps = hops(account_call.record.timeline, ENTRY)
    nodes, edges, _ = parse_svg(render(example, "account", "svg", taken=steps))
    lit_edges = {title: sum(_lit(shapes)) for title, shapes in edges.items() if any(_lit(shapes))}
    assert lit_edges == {f"{ENTRY}->ask_account": 1, "ask_account->ask_pin": 1,
                         "ask_pin->ask_pin": 1, "ask_pin->too_many_tries": 1}
    (retry,) = edges["ask_pin->ask_pin"]
    assert retry.texts[0].startswith("#3, #4 ")
    lit_nodes = {t for t, s in nodes.items() if "#fde047" in s.fills}
    assert lit_nodes == {"ask_account", "ask_pin", "too_many_tries"}
