"""The call page draws every flow the caller went through, each with exactly its taken edges."""

from __future__ import annotations

import shutil

from ivr.flows.graph import ENTRY
from tests.conftest import need
from tests.flows.engine_walk import balance_call_giving_up_at_pin
from tests.flows.svg import parse_svg
from tests.flowsets import example_flowset
from tests.web.conftest import SUPERVISOR, Dashboard, client_of

LIT = "#ea580c"


async def test_a_goto_call_gets_a_panel_per_flow_with_its_own_edges(dashboard: Dashboard) -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed")
    record = balance_call_giving_up_at_pin(example_flowset(), call_id="goto1").record
    await dashboard.store.finish(record)
    await dashboard.store.flush()
    async with client_of(dashboard, SUPERVISOR) as client:
        page = await (await client.get("/calls/goto1")).text()
        assert page.count('<section class="card diagram"') == 2
        assert 'href="/calls/goto1/diagram.svg?flow=account"' in page  # opens full size
        assert "Then, by “go to”, through account" in page
        lit: dict[str, set[str]] = {}
        for flow, query in (("main", ""), ("account", "?flow=account")):
            response = await client.get(f"/calls/goto1/diagram.svg{query}")
            assert response.status == 200
            _nodes, edges, _ = parse_svg(await response.read())
            lit[flow] = {title for title, shapes in edges.items()
                         for s in shapes if LIT in s.strokes}
        assert lit == {
            "main": {f"{ENTRY}->choose_language", "choose_language->check_hours",
                     "check_hours->main_menu", "main_menu->account"},
            "account": {f"{ENTRY}->ask_account", "ask_account->ask_pin", "ask_pin->ask_pin",
                        "ask_pin->too_many_tries"},
        }
        # A flow the call never entered is not drawn for it.
        assert (await client.get("/calls/goto1/diagram.svg?flow=csat")).status == 404
