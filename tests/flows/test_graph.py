"""Drawing flows with real Graphviz: node names, shapes, escaping, highlighted paths."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.flows.dot import Digraph, GraphvizError, quote, run_dot
from ivr.flows.flowset import FlowSet
from ivr.flows.graph import render, to_dot
from tests.conftest import need
from tests.flows.svg import parse_svg
from tests.flowsets import example_flowset, flowset_from_yaml


@pytest.fixture(autouse=True)
def _dot() -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed (Debian: graphviz)")


@pytest.fixture(scope="module")
def example() -> FlowSet:
    return example_flowset()


@pytest.mark.parametrize("flow", ["main", "account", "csat"])
def test_svg_names_every_node(example: FlowSet, flow: str) -> None:
    nodes, _edges, texts = parse_svg(render(example, flow, "svg"))
    for name in example.flows[flow].nodes:
        assert name in nodes, f"{name} has no SVG node"
        assert name in nodes[name].texts, f"{name} is not written in its box"
    assert set(example.flows[flow].nodes) <= set(texts)


def test_png_has_signature_and_sane_size(example: FlowSet) -> None:
    image = render(example, "main", "png")
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert image[12:16] == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    assert 400 <= width <= 6000
    assert 300 <= height <= 6000


def test_highlight_recolours_exactly_the_visited_nodes(example: FlowSet) -> None:
    path = ["choose_language", "check_hours", "main_menu", "sales_queue"]
    plain_nodes, plain_edges, _ = parse_svg(render(example, "main", "svg"))
    lit_nodes, lit_edges, _ = parse_svg(render(example, "main", "svg", highlight=path))
    assert plain_nodes.keys() == lit_nodes.keys()
    changed = {
        title for title in plain_nodes
        if (plain_nodes[title].fills, plain_nodes[title].strokes)
        != (lit_nodes[title].fills, lit_nodes[title].strokes)
    }
    assert changed == set(path)
    changed_edges = {
        title for title in plain_edges
        if [e.strokes for e in plain_edges[title]] != [e.strokes for e in lit_edges[title]]
    }
    assert changed_edges == {
        "(start)->choose_language", "choose_language->check_hours",
        "check_hours->main_menu", "main_menu->sales_queue",
    }


def test_highlight_accepts_flow_qualified_names_and_ignores_strangers(example: FlowSet) -> None:
    plain = to_dot(example, "account")
    assert to_dot(example, "account", ["nowhere", "main.main_menu"]) == plain
    assert to_dot(example, "account", ["account.ask_pin"]) == to_dot(
        example, "account", ["ask_pin"]
    )
    assert to_dot(example, "account", ["ask_pin"]) != plain


def test_outcomes_have_distinct_looks(example: FlowSet) -> None:
    nodes, _, _ = parse_svg(render(example, "main", "svg"))
    looks: dict[str, set[tuple[str, ...]]] = {}
    for shape in nodes.values():
        kinds = [c for c in shape.classes if c.startswith("ivr-") and c != "ivr-node"]
        if kinds:
            looks.setdefault(kinds[0], set()).add(tuple(shape.fills))
    assert {"ivr-queue", "ivr-voicemail", "ivr-goto", "ivr-menu", "ivr-branch"} <= looks.keys()
    fills = [next(iter(v)) for v in looks.values()]
    assert len(set(fills)) == len(fills), looks


def test_retries_failures_branches_and_lookups_are_drawn(example: FlowSet) -> None:
    _, edges, texts = parse_svg(render(example, "account", "svg"))
    assert "ask_account->ask_account" in edges  # retry loop
    failure = edges["ask_account->queue:operator"][0]  # the default: a person
    assert any("3 failed tries" in t for t in failure.texts)
    assert any("3 failed tries" in t for t in edges["ask_pin->too_many_tries"][0].texts)
    assert edges["check_found->say_balance"][0].texts == ["balance.status = ok"]
    assert edges["check_found->not_found"][0].texts == ["else"]
    assert any("error" in t for t in edges["fetch_balance->lookup_failed"][0].texts)
    assert any("0 operator" in t for t in texts)  # global keys noted
    # The legend is one text run, so browsers cannot draw it with a gap before the language.
    assert any(t.endswith("prompts shown in en") for t in texts)


def test_sensitive_collect_is_marked(example: FlowSet) -> None:
    nodes, _, _ = parse_svg(render(example, "account", "svg"))
    assert any("SENSITIVE" in t for t in nodes["ask_pin"].texts)
    assert not any("SENSITIVE" in t for t in nodes["ask_account"].texts)
    assert nodes["ask_pin"].strokes != nodes["ask_account"].strokes


NASTY = r'''
flows:
  odd:
    description: 'Quotes " and \ backslash'
    start: 'menu "one"'
    nodes:
      'menu "one"':
        type: menu
        prompt:
          en: "Say \"yes\" \\ or <no> & línea\nnueva"
        options:
          - {key: 1, say: ['a "b" \ c', 'español'], next: end}
          - {key: 2, next: 'flow:other'}
      end:
        type: hangup
'''


def test_labels_are_escaped() -> None:
    flowset = flowset_from_yaml(NASTY)
    nodes, edges, texts = parse_svg(render(flowset, "odd", "svg"))
    assert 'menu "one"' in nodes
    joined = " ".join(texts)
    assert '“Say "yes" \\ or <no> & línea nueva”' in joined
    option = " ".join(edges['menu "one"->end'][0].texts)
    assert '“a "b" \\ c”' in option
    assert "“español”" in option
    assert "Quotes \" and \\ backslash" in joined
    assert "other" in nodes["flow:other"].texts


@settings(max_examples=25, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30))
def test_quote_round_trips_through_dot(text: str) -> None:
    graph = Digraph()
    graph.node("n", label=text or " ", shape="plaintext")
    image = run_dot(graph.source(), "svg")
    nodes, _, _ = parse_svg(image)
    drawn = " ".join(nodes["n"].texts)
    assert drawn.split() == (text or " ").split()


def test_a_text_that_looks_like_markup_is_quoted_not_read_as_html() -> None:
    for text in ("<>", "<press 1>", "<B>bold</B>"):
        graph = Digraph()
        graph.node("n", label=text, shape="plaintext")
        nodes, _, _ = parse_svg(run_dot(graph.source(), "svg"))
        assert " ".join(nodes["n"].texts) == text


def test_quote_escapes_what_dot_reads() -> None:
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\") == '"a\\\\"'
    assert quote("x\ny") == '"x\\ny"'
    assert quote("bell\x07") == '"bell"'


def test_unknown_flow_is_a_clear_error(example: FlowSet) -> None:
    with pytest.raises(ValueError, match=r"no flow named 'nope'.*main"):
        to_dot(example, "nope")


def test_missing_dot_is_a_clear_error(
    example: FlowSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizError, match="apt-get install graphviz"):
        render(example, "main", "svg")


def test_unreachable_nodes_are_flagged() -> None:
    lost = NASTY.replace("      end:\n", "      lost: {type: hangup}\n      end:\n")
    flowset = flowset_from_yaml(lost)
    nodes, _, _ = parse_svg(render(flowset, "odd", "svg"))
    assert "unreachable" in nodes["lost"].texts
    assert "unreachable" not in nodes["end"].texts
