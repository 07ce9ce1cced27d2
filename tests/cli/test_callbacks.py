"""``ivr callbacks`` lists the requests the service owes and shows one's history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ivr.callbacks.store import CallbackStore
from ivr.calls.store import open_store
from tests.callbacks.seed import seed_callbacks


def _ivr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", "callbacks", *args],
                          capture_output=True, text=True, timeout=60)


async def test_list_as_text_and_json_and_show_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    store = await open_store(url)
    ids = await seed_callbacks(CallbackStore(store.engine))
    await store.close()
    listed = _ivr("--store", url, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["request_id"]: r for r in json.loads(listed.stdout)}
    assert {r["status"] for r in rows.values()} == {"connected", "pending", "failed",
                                                     "cancelled"}
    done = rows[ids["done"]]
    assert (done["agent"], done["attempts"], done["wait_s"]) == ("Agent Alice", 2, 600.0)
    assert done["context"]["variables"] == {"account": "1234"}
    pending = _ivr("--store", url, "--status", "pending")
    lines = pending.stdout.splitlines()
    assert len(lines) == 2
    assert "+4930300" in lines[1]
    shown = _ivr("--store", url, "show", ids["failed"])
    assert shown.returncode == 0, shown.stderr
    assert "no_answer; no attempts left" in shown.stdout
    missing = _ivr("--store", url, "show", "nope")
    assert (missing.returncode, "no request 'nope'" in missing.stderr) == (1, True)
