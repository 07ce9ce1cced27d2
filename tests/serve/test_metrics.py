"""``/metrics`` counts calls and outcomes of a running service, in Prometheus format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from ivr.calls.store import open_store
from ivr.config import Config
from ivr.demo.callers import DemoCall, place_call
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader

FLOWS = Path(__file__).parent / "flows" / "crash.yaml"


async def test_metrics_count_calls_by_flow_and_outcome(tmp_path: Path) -> None:
    config = Config.model_validate({
        "flows": {"path": str(FLOWS), "reload": False}, "agi": {"port": 0},
        "metrics": {"port": 0}, "recordings_dir": str(tmp_path / "recordings")})
    store = await open_store(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    service = IvrService(config, flows_loader(), engine_call_factory(), store=store)
    await service.start()
    try:
        port = service.server.port
        await place_call("127.0.0.1", port, 1,
                         DemoCall("main", "11123", "+15550001", dt.timedelta(0)))
        await place_call("127.0.0.1", port, 2,
                         DemoCall("main", "1", "+15550002", dt.timedelta(0), hangup_at=4))
        await service.until_idle()
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{service.metrics_port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
    finally:
        await service.close()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("ivr_calls_started_total", (("flow", "main"),))] == 2
    assert samples[("ivr_calls_finished_total", (("flow", "main"), ("outcome", "queue")))] == 1
    assert samples[("ivr_calls_finished_total",
                    (("flow", "main"), ("outcome", "abandoned")))] == 1
    assert samples[("ivr_calls_active", ())] == 0
    assert samples[("ivr_call_seconds_count", (("flow", "main"),))] == 2
    version = service.flows.current.version
    assert samples[("ivr_flows_version_info", (("version", version),))] == 1
    assert samples[("ivr_flows_rejected_reloads", ())] == 0
    assert ("ivr_store_pending_writes", ()) in samples
    # Every step of both calls waited for its commit before the caller heard what came next.
    assert samples[("ivr_store_commit_wait_seconds_count", ())] >= 6
    assert samples[("ivr_store_commit_wait_seconds_sum", ())] > 0
    assert "+15550001" not in text  # nothing a caller gave ends up in a label
