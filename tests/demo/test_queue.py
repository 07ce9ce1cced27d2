"""The demo's queue calls end as Asterisk would report them, stored as ivr serve stores them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ivr.calls.store import open_store
from ivr.config import load_config
from ivr.demo.callers import DemoCall
from ivr.demo.queue import QueueEnd
from ivr.demo.run import place_demo_calls
from tests.demo.config import demo_config

SCRIPT = (
    DemoCall("main", "11", "+15550101", dt.timedelta(days=1), local_hour=10,
             queue_end=QueueEnd(35, "Agent Alice", 240)),
    DemoCall("main", "1999", "+15550107", dt.timedelta(days=1), local_hour=11,
             queue_end=QueueEnd(140)),
    # Self-service is no queue call: a queue result given for it is not stored.
    DemoCall("main", "131234561" "4321#" "2", "+15550103", dt.timedelta(days=1), local_hour=12,
             queue_end=QueueEnd(5, "Agent Alice")),
)


async def test_demo_queue_calls_get_answered_and_abandoned_results(tmp_path: Path) -> None:
    config = load_config(demo_config(tmp_path, tmp_path / "calls.sqlite3"))
    config.ami.enabled = False
    config.agi.port = 0
    result = await place_demo_calls(config, SCRIPT)
    await result.service.close()
    store = await open_store(config.store.url)
    try:
        sales, operator, balance = [await store.get(f"demo.{n}") for n in range(3)]
    finally:
        await store.close()
    assert sales is not None
    assert operator is not None
    assert balance is not None
    assert (sales.queue, sales.after_ivr_status, sales.agent, sales.queue_wait_s) == (
        "sales", "answered", "Agent Alice", 35.0)
    assert (operator.queue, operator.after_ivr_status, operator.queue_wait_s) == (
        "operator", "abandoned", 140.0)
    assert (balance.outcome, balance.after_ivr_status) == ("self_service", None)
    journey = [e.data for e in sales.timeline if e.kind == "after_ivr"]
    assert journey == [{"status": "answered", "agent": "Agent Alice", "wait_s": 35.0,
                        "talk_s": 240}]
