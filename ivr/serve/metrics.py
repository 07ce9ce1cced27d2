"""Prometheus metrics of a running ``ivr serve``: calls, outcomes, flows, the store.

Each service has its own registry (several services can live in one test
process) served over HTTP at ``/metrics`` on ``[metrics] host:port``. Labels
are only flow names, outcomes and versions, never anything a caller typed.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest


class ServiceMetrics:
    """The counters a service updates, and the HTTP endpoint that shows them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls_started = Counter("ivr_calls_started", "Calls that reached the IVR",
                                     ["flow"], registry=self.registry)
        self.calls_finished = Counter("ivr_calls_finished", "Calls whose IVR part ended",
                                      ["flow", "outcome"], registry=self.registry)
        self.calls_active = Gauge("ivr_calls_active", "Calls in the IVR right now",
                                  registry=self.registry)
        self.call_seconds = Histogram(
            "ivr_call_seconds", "Time callers spend in the IVR", ["flow"],
            buckets=(5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600), registry=self.registry)
        self.flows_rejected = Gauge("ivr_flows_rejected_reloads",
                                    "Edits of the flows file rejected since start",
                                    registry=self.registry)
        self.flows_version = Gauge("ivr_flows_version_info", "The flows version now serving",
                                   ["version"], registry=self.registry)
        self.store_pending = Gauge("ivr_store_pending_writes",
                                   "Call-store writes handed over but not yet committed",
                                   registry=self.registry)
        self.store_commit_wait = Histogram(
            "ivr_store_commit_wait_seconds",
            "Time a call step waited for the store's commit (the caller hears nothing meanwhile)",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2),
            registry=self.registry)

    def watch(self, rejected: Callable[[], int], version: Callable[[], str],
              pending: Callable[[], int] | None) -> None:
        """Read these values whenever metrics are scraped."""
        self.flows_rejected.set_function(lambda: float(rejected()))
        if pending is not None:
            self.store_pending.set_function(lambda: float(pending()))
        self._version = version

    def started(self, flow: str) -> None:
        """A call entered *flow*."""
        self.calls_started.labels(flow).inc()
        self.calls_active.inc()

    def finished(self, flow: str, outcome: str | None, seconds: float | None) -> None:
        """A call's IVR part ended with *outcome* after *seconds*."""
        self.calls_active.dec()
        self.calls_finished.labels(flow, outcome or "error").inc()
        if seconds is not None:
            self.call_seconds.labels(flow).observe(seconds)

    async def handle(self, _request: web.Request) -> web.Response:
        """``GET /metrics`` in Prometheus text format."""
        version = getattr(self, "_version", None)
        if version is not None:
            self.flows_version.clear()
            self.flows_version.labels(version()).set(1)
        return web.Response(body=generate_latest(self.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def serve(self, host: str, port: int) -> web.AppRunner:
        """Start the ``/metrics`` endpoint; return its runner (``cleanup()`` stops it)."""
        app = web.Application()
        app.router.add_get("/metrics", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        return runner
