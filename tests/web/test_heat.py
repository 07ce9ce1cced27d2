"""The heat-map page: figures, hot spots linking to the calls lost there, the overlaid SVG."""

from __future__ import annotations

import datetime as dt
import shutil

from ivr.calls.store import SqlStore
from ivr.flows.events import Digits, Hangup, NoInput
from ivr.flows.graph_heat import loss_colour
from tests.conftest import need
from tests.flows.engine_walk import answered_call, balance_call_giving_up_at_pin
from tests.flows.svg import parse_svg
from tests.flowsets import example_flowset
from tests.web.conftest import SUPERVISOR, Dashboard, client_of

#: A Friday with no seeded calls, in office hours in New York.
DAY = dt.datetime(2026, 10, 2, 15, 0, tzinfo=dt.UTC)
PERIOD = "since=2026-10-02&until=2026-10-02"


async def seed_heat(store: SqlStore) -> None:
    """Three calls through main_menu: one to the account flow, two lost there (one silent)."""
    flows = example_flowset()
    calls = [
        balance_call_giving_up_at_pin(flows, "h1", DAY),
        answered_call(flows, [Digits("1"), Hangup()], "h2", DAY),
        answered_call(flows, [Digits("1"), NoInput(), Hangup()], "h3", DAY),
    ]
    assert [c.outcome.kind if c.outcome else None for c in calls] == [
        "hangup", "abandoned", "abandoned"]
    for c in calls:
        await store.finish(c.record)
    await store.flush()


async def test_hot_spots_rank_the_losing_menu_and_link_its_calls(dashboard: Dashboard) -> None:
    await seed_heat(dashboard.store)
    async with client_of(dashboard, SUPERVISOR) as client:
        page = await client.get(f"/flows/main/heat?{PERIOD}")
        assert page.status == 200
        html = await page.text()
        assert "3 calls entered this flow" in html
        spots = html[html.index('id="hot-spots"'):html.index('class="card diagram"')]
        assert spots.index("main_menu") < spots.index("</tbody>")
        assert "2 (66.7%)" in spots  # lost
        assert "1 (33.3%)" in spots  # no input: one event over three visits
        link = "/calls?abandoned_at=main_menu&amp;since=2026-10-02&amp;until=2026-10-02"
        assert link in spots
        lost = await (await client.get(link.replace("&amp;", "&"))).text()
        assert "/calls/h2" in lost
        assert "/calls/h3" in lost
        assert "/calls/h1" not in lost
        assert (await client.get("/flows/nosuch/heat")).status == 404


async def test_the_diagram_is_coloured_by_loss_and_edges_carry_shares(
        dashboard: Dashboard) -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed")
    await seed_heat(dashboard.store)
    async with client_of(dashboard, SUPERVISOR) as client:
        svg = await (await client.get(f"/flows/main/heat.svg?{PERIOD}")).read()
    nodes, edges, _texts = parse_svg(svg)
    assert loss_colour(2 / 3) in nodes["main_menu"].fills
    assert "3 visits · 67% lost · 0% no match · 33% no input · 0 s" in nodes["main_menu"].texts
    assert loss_colour(0.0) in nodes["choose_language"].fills
    assert loss_colour(None) in nodes["sales_queue"].fills  # nobody went there
    shares = {" ".join(s.texts) for s in edges["choose_language->check_hours"]}
    assert any(t.endswith("67% (2)") and "key 1" in t for t in shares), shares
    assert any(t.endswith("33% (1)") and "key 2" in t for t in shares), shares
    (balance,) = [s for s in edges["main_menu->account"] if "key 3" in " ".join(s.texts)]
    assert balance.texts[-1] == "33% (1)"
