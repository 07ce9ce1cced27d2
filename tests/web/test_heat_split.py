"""The heat map shows a split: each branch's configured share beside the callers placed in it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

from ivr.flows.engine import Call
from ivr.flows.loader import load_flowset
from ivr.flows.steps.split import choose
from ivr.web.app_keys import FLOWS
from tests.conftest import need
from tests.flows.svg import parse_svg
from tests.flows.test_split import GOOD, IN_RANGE, _split
from tests.web.conftest import SUPERVISOR, Dashboard, client_of

BEFORE = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)  # before the split's dates
PERIOD = "since=2026-11-30&until=2026-12-10"
CALLERS = [f"+1555{i:07d}" for i in range(60)]


async def _seed(dashboard: Dashboard) -> Counter[str]:
    """60 callers inside the dates, 5 before; the split's flows deployed. Branch → calls."""
    dashboard.app[FLOWS].path = GOOD
    flows = load_flowset(GOOD)
    starts = [(c, IN_RANGE) for c in CALLERS] + [(c, BEFORE) for c in CALLERS[:5]]
    for i, (caller, at) in enumerate(starts):
        call = Call(flows, "main", call_id=f"s{i}", caller=caller)
        call.start(at + dt.timedelta(minutes=i))
        await dashboard.store.finish(call.record)
    await dashboard.store.flush()
    return Counter(choose(_split(), c).name for c in CALLERS)


async def test_the_page_lists_each_branch_with_its_share(dashboard: Dashboard) -> None:
    placed = await _seed(dashboard)
    assert set(placed) == {"old", "new"}
    async with client_of(dashboard, SUPERVISOR) as client:
        html = await (await client.get(f"/flows/main/heat?{PERIOD}")).text()
    section = html[html.index('id="splits"'):html.index('class="card diagram"')]
    for branch, count in placed.items():
        assert f'data-share="try_menu/{branch}">{count} ({100 * count / 65:.1f}%)<' in section
    assert 'data-share="try_menu/outside dates">5 (7.7%)<' in section
    assert "<td>70%</td>" in section
    assert "<td>30%</td>" in section


async def test_the_diagram_carries_the_split_shares_on_its_branches(
        dashboard: Dashboard) -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed")
    placed = await _seed(dashboard)
    async with client_of(dashboard, SUPERVISOR) as client:
        svg = await (await client.get(f"/flows/main/heat.svg?{PERIOD}")).read()
    _nodes, edges, _texts = parse_svg(svg)
    old = {" ".join(s.texts) for s in edges["try_menu->old_menu"]}
    new = {" ".join(s.texts) for s in edges["try_menu->new_menu"]}
    assert f"old · 70% {placed['old'] / 65:.0%} ({placed['old']})" in old, old
    assert "outside dates 8% (5)" in old, old
    assert new == {f"new · 30% {placed['new'] / 65:.0%} ({placed['new']})"}
