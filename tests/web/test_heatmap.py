"""Heat-map figures on a hand-made set of calls whose paths and times are known (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.calls.query import CallFilter
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store import SqlStore
from ivr.flows.graph import ENTRY
from ivr.web.heatmap import heat_map
from tests.calls.records import T0, at, call, entry


def _entered(s: float, node: str, flow: str = "main") -> TimelineEntry:
    return TimelineEntry(at(s), "node_entered", node, {"kind": "menu", "flow": flow})


def heat_calls() -> list[CallRecord]:
    """Three calls in the morning of T0 and one a day later (outside the period)."""
    sales = call("a", 0, outcome="queue", outcome_node="sales_q", ended_at=at(20), timeline=[
        _entered(0, "menu"), entry(4, "no_match", "menu", attempt=1),
        entry(4, "retry", "menu", attempt=2, reason="no_match"),
        entry(8, "option_chosen", "menu", option="sales", via="dtmf", target="sales_q"),
        _entered(10, "sales_q")])
    gave_up = call("b", 100, outcome="abandoned", outcome_node="menu", ended_at=at(112),
                   timeline=[_entered(100, "menu"), entry(105, "no_input", "menu", attempt=1),
                             entry(105, "retry", "menu", attempt=2, reason="no_input"),
                             entry(110, "no_input", "menu", attempt=2)])
    goto = call("c", 200, outcome="abandoned", outcome_node="ask", ended_at=at(230), timeline=[
        _entered(200, "menu"),
        entry(203, "option_chosen", "menu", option="balance", via="dtmf", target="acct"),
        _entered(203, "acct"), _entered(203, "ask", flow="account")])
    later = call("d", 86_400, outcome="abandoned", outcome_node="menu", ended_at=at(86_410),
                 timeline=[_entered(86_400, "menu")])
    return [sales, gave_up, goto, later]


MORNING = CallFilter(since=T0, until=T0 + dt.timedelta(hours=12))


@pytest.fixture
async def seeded(store: SqlStore) -> SqlStore:
    for record in heat_calls():
        await store.finish(record)
    await store.flush()
    return store


async def test_node_and_edge_figures_are_exact(seeded: SqlStore) -> None:
    store = seeded
    heat = await heat_map(store, MORNING, "main")
    assert heat.calls == 3
    menu = heat.nodes["menu"]
    assert (menu.visits, menu.callers, menu.lost, menu.no_match, menu.no_input) == (3, 3, 1, 1, 2)
    assert menu.loss_rate == 1 / 3
    assert menu.no_input_rate == 2 / 3
    assert menu.mean_s == (10 + 12 + 3) / 3
    assert (heat.nodes["sales_q"].visits, heat.nodes["sales_q"].mean_s) == (1, 10.0)
    assert heat.nodes["acct"].mean_s == 0.0
    assert heat.edges == {
        (ENTRY, "menu", "start"): 3,
        ("menu", "menu", "retry"): 2,
        ("menu", "sales_q", "option:sales"): 1,
        ("menu", "acct", "option:balance"): 1,
        ("acct", "flow:account", None): 1,
    }
    assert heat.edge_share("menu", "menu", "retry") == 2 / 3
    assert heat.edge_share(ENTRY, "menu", "start") == 1.0
    assert [name for name, _ in heat.hot_spots()] == ["menu"]


async def test_a_flow_entered_by_goto_counts_its_own_nodes(seeded: SqlStore) -> None:
    store = seeded
    heat = await heat_map(store, MORNING, "account")
    assert heat.calls == 1
    ask = heat.nodes["ask"]
    assert (ask.visits, ask.callers, ask.lost, ask.loss_rate, ask.mean_s) == (1, 1, 1, 1.0, 27.0)
    assert set(heat.nodes) == {"ask"}
    assert heat.edges == {(ENTRY, "ask", "start"): 1}
    everything = await heat_map(store, CallFilter(), "main")
    assert everything.calls == 4
    assert everything.nodes["menu"].lost == 2
