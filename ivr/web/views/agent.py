"""An agent's own page: the caller ringing (or talking to) them, with the journey so far.

Only ``agent`` logins reach it, and only for the queue interface tied to their
login: the ring comes from the live state the services publish (AMI
``AgentCalled``/``AgentConnect``, :mod:`ivr.live.agents`), the journey from the
call store. Pushed as Server-Sent Events like the wallboard, so the page the
agent keeps open changes within a poll of the service publishing the ring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.callbacks.store import CallbackStore
from ivr.calls.record import CallRecord
from ivr.flows.nodes import QueueNode
from ivr.live.agents import Ring
from ivr.live.board import live_rows
from ivr.live.handoff import Handoff, summarize
from ivr.live.state import merge, where_now
from ivr.web import auth, sse
from ivr.web.app_keys import FLOWS, STORE


async def _record(request: web.Request, ring: Ring) -> CallRecord | None:
    """The caller's stored call: by its id, or through the callback whose leg is ringing."""
    store = request.app[STORE]
    record = await store.get(ring.call_id)
    if record is None:
        request_ = await CallbackStore(store.engine).by_channel(ring.uniqueid)
        if request_ is not None and request_.call_id:
            record = await store.get(request_.call_id)
    return record


async def _share(request: web.Request, record: CallRecord | None) -> Collection[str] | None:
    """The queue node's ``share`` list (what the screen-pop may show), if it names one."""
    if record is None:
        return None
    flowset = (await request.app[FLOWS].current()).flowset
    flow_name, node_name = where_now(record)
    flow = flowset.flows.get(flow_name) if flowset is not None else None
    node = flow.nodes.get(node_name) if flow is not None else None
    return node.share if isinstance(node, QueueNode) else None


async def _handoff(request: web.Request, ring: Ring) -> Handoff:
    record = await _record(request, ring)
    return summarize(record, ring, await _share(request, record))


class AgentView:
    """What one agent's page shows; the journey is looked up once per ring, not per poll."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.interface = auth.session_of(request).user.interface or ""
        self._cached: tuple[Ring, dict[str, Any]] | None = None

    async def ring(self) -> Ring | None:
        """The ring on this agent's interface now, from every live service instance."""
        board = merge(await live_rows(self.request.app[STORE].engine), dt.datetime.now(dt.UTC))
        return board.agents.get(self.interface)

    async def state(self) -> dict[str, Any]:
        """``ring`` (None when the phone is quiet) and the hand-off panel as escaped HTML."""
        ring = await self.ring()
        if ring is None:
            return {"ring": None}
        if self._cached is None or self._cached[0] != ring:
            handoff = await _handoff(self.request, ring)
            html = aiohttp_jinja2.render_string("_handoff.html", self.request, {"h": handoff})
            self._cached = (ring, {"ring": ring.to_json(), "found": handoff.found,
                                   "html": html})
        return self._cached[1]


async def owns(request: web.Request, record: CallRecord) -> bool:
    """Whether the agent logged in may open *record* (one of their own calls).

    It is: the call rings (or is answered) on their interface now, or AMI recorded
    them (login name or interface as the queue member) as the agent who answered it.
    """
    user = auth.session_of(request).user
    if record.agent is not None and record.agent in (user.name, user.interface):
        return True
    ring = await AgentView(request).ring()
    return ring is not None and ring.call_id == record.call_id


@auth.agent_only
async def agent_page(request: web.Request) -> web.StreamResponse:
    """The page an agent keeps open; its script follows ``/agent/events``."""
    view = AgentView(request)
    ring = await view.ring()
    return aiohttp_jinja2.render_template("agent.html", request, {
        "h": await _handoff(request, ring) if ring is not None else None,
        "interface": view.interface})


@auth.agent_only
async def agent_events(request: web.Request) -> web.StreamResponse:
    """The ring on this agent's interface and its hand-off, as Server-Sent Events."""
    return await sse.stream(request, AgentView(request).state)


def routes(app: web.Application) -> None:
    """Add the routes."""
    sse.install(app)
    app.router.add_get("/agent", agent_page)
    app.router.add_get("/agent/events", agent_events)
