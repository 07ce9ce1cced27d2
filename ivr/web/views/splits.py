"""The A/B page: each split's branches side by side over a period, with significance tests."""

from __future__ import annotations

import datetime as dt

import aiohttp_jinja2
from aiohttp import web

from ivr.flows import nodes as n
from ivr.web.ab import ALPHA, split_figures
from ivr.web.app_keys import FLOWS, STORE
from ivr.web.views.metrics import PERIODS, period

_DAY = dt.timedelta(days=1)

RATES = (("contained", "Contained (self-service)"), ("abandoned", "Abandoned in IVR"),
         ("to_agents", "Transferred to agents"), ("no_match", "Had a no-match"))


async def splits_page(request: web.Request) -> web.StreamResponse:
    """Per split, per branch: calls, rates, time in IVR, CSAT, and each rate's test."""
    start, end, error = period(request)
    deployed = await request.app[FLOWS].current()
    order: dict[str, list[str]] = {}
    if deployed.flowset is not None:
        for flow_name, flow in deployed.flowset.flows.items():
            for name, node in flow.nodes.items():
                if isinstance(node, n.Split):
                    order[f"{flow_name}/{name}"] = [b.name for b in node.branches]
    figures = await split_figures(request.app[STORE], start, end, order)
    return aiohttp_jinja2.render_template("splits.html", request, {
        "splits": figures, "rates": RATES, "error": error, "periods": PERIODS,
        "alpha": ALPHA, "since": start.date().isoformat(),
        "until": (end - _DAY).date().isoformat(),
    }, status=400 if error else 200)


def routes(app: web.Application) -> None:
    """Add the route."""
    app.router.add_get("/splits", splits_page)
