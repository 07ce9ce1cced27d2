"""A flow with callback nodes and offers draws (real Graphviz), saying where the callback goes."""

from __future__ import annotations

import shutil

from ivr.flows.graph import render
from tests.conftest import need
from tests.flows.svg import parse_svg
from tests.flowsets import flowset_from_yaml

FLOWS = """\
version: 1
settings: {operator_queue: sales}
queues: {sales: {description: Sales}}
calendars:
  office: {timezone: UTC, weekly: {mon-fri: "08:00-18:00"}}
flows:
  main:
    start: later
    nodes:
      later: {type: callback, queue: sales, calendar: office, after: "18:00"}
"""


def test_a_callback_node_is_drawn_with_its_queue_hours_and_time() -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed (Debian: graphviz)")
    nodes, _edges, _texts = parse_svg(render(flowset_from_yaml(FLOWS), "main", "svg"))
    texts = " ".join(nodes["later"].texts)
    assert "callback → queue sales · after 18:00" in texts
    assert "in hours of office" in texts
