"""``ivr calls`` lists and shows stored calls from the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ivr.calls.store import open_store
from tests.calls.seed import seed


async def _seeded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    store = await open_store(url)
    await seed(store)
    await store.close()
    return url


def _ivr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", "calls", *args], capture_output=True,
                          text=True, timeout=60)


async def test_list_filters_and_json(tmp_path: Path) -> None:
    url = await _seeded(tmp_path)
    listed = _ivr("--store", url, "--outcome", "abandoned", "--json")
    assert listed.returncode == 0, listed.stderr
    calls = json.loads(listed.stdout)
    assert {c["call_id"]: c["where"] for c in calls} == {"c6": "pin", "c7": "main_menu",
                                                         "c8": "pin"}
    text = _ivr("--store", url, "--since", "2026-11-21")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert len(lines) == 2
    assert "c3" in lines[1]
    assert "sales" in lines[1]


async def test_show_tells_the_journey_and_unknown_ids_fail(tmp_path: Path) -> None:
    url = await _seeded(tmp_path)
    shown = _ivr("--store", url, "show", "c6")
    assert shown.returncode == 0, shown.stderr
    assert "outcome abandoned at pin" in shown.stdout
    assert 'said "uh what" (80% sure), which matched nothing' in shown.stdout
    missing = _ivr("--store", url, "show", "nope")
    assert missing.returncode == 1
    assert "no call 'nope'" in missing.stderr
    bad = _ivr("--store", url, "--since", "last week")
    assert bad.returncode == 1
    assert "since" in bad.stderr
