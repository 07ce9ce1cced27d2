"""Replay reads a period's calls from the store (SQLite and PostgreSQL) and from the terminal."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.calls.store import SqlStore
from ivr.cli.replay import since_time
from ivr.replay.report import replay_all, replay_period
from tests.replay.calls import OPEN, changed, records, shipped, swap_3_and_4


def _ivr(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


async def _stored(store: SqlStore) -> list[str]:
    calls = records(shipped(), copies=2)
    for record in calls:
        await store.finish(record)
    await store.flush()
    return [c.call_id for c in calls]


async def test_stored_calls_replay_as_the_calls_in_memory_do(
        store: SqlStore, tmp_path: Path) -> None:
    await _stored(store)
    new = changed(tmp_path, swap_3_and_4)
    from_store = await replay_period(store, new, since=OPEN - dt.timedelta(hours=1))
    in_memory = replay_all(new, records(shipped(), copies=2))
    assert len(from_store.results) == len(in_memory.results) == 22
    assert from_store.to_json()["by_status"] == in_memory.to_json()["by_status"]
    assert from_store.outcomes == in_memory.outcomes
    assert from_store.divergences == in_memory.divergences == {"main_menu": 8}
    unchanged = await replay_period(store, shipped(), since=OPEN - dt.timedelta(hours=1))
    assert unchanged.by_status == {"same": 22}


async def test_the_period_bounds_which_calls_are_replayed(store: SqlStore) -> None:
    await _stored(store)
    # The after-hours calls start at 02:00 UTC the next day; the rest at 15:00.
    report = await replay_period(store, shipped(), since=OPEN,
                                 until=OPEN + dt.timedelta(hours=2))
    assert {r.call_id.rsplit("-", 1)[0] for r in report.results} == {
        "sales", "support", "balance", "billing", "billing_said", "sales_unsure", "gave_up",
        "silent", "spanish_billing", "pin_then_hangup"}


async def test_ivr_replay_prints_the_changes_and_json(store_url: str, tmp_path: Path,
                                                      store: SqlStore) -> None:
    await _stored(store)
    changed(tmp_path, swap_3_and_4)
    base = [sys.executable, "-m", "ivr", "replay", "--store", store_url,
            "--since", "2026-11-23", "--flows", str(tmp_path / "flows.yaml")]
    text = await asyncio.to_thread(_ivr, base)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("22 calls replayed: 14 end the same way")
    assert "self_service             → queue billing" in text.stdout
    assert "not replayable from ask_account" in text.stdout
    data = json.loads((await asyncio.to_thread(_ivr, [*base, "--json"])).stdout)
    assert data["divergences"] == {"main_menu": 8}
    assert {r["call_id"] for r in data["results"]} == {
        f"{name}-{i}" for name in ("balance", "pin_then_hangup", "billing", "spanish_billing")
        for i in range(2)}


def test_since_takes_days_hours_and_dates() -> None:
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    assert since_time("7d", now) == now - dt.timedelta(days=7)
    assert since_time("24h", now) == now - dt.timedelta(hours=24)
    assert since_time("2026-11-23", now).date() == dt.date(2026, 11, 23)
    with pytest.raises(ValueError, match="since"):
        since_time("last week", now)
