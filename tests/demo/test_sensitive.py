"""The PIN the demo caller types reaches the balance backend, and nowhere else we keep.

The example flow's ``ask_pin`` node is ``sensitive: true``. The demo's third
caller enters PIN 4321, which the demo backend accepts; afterwards the bytes
``4321`` must not be in the database files (including SQLite's WAL) or in the
service's own debug log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo.config import demo_config
from tests.stored_bytes import without_timestamps

PIN = b"4321"


@pytest.mark.slow
def test_the_demo_pin_is_used_but_never_stored_or_logged(tmp_path: Path) -> None:
    config = demo_config(tmp_path, tmp_path / "data" / "calls.sqlite3")
    demo = subprocess.run([sys.executable, "-m", "ivr", "demo", "--exit", "--verbose",
                           "--config", str(config)], cwd=tmp_path, capture_output=True,
                          timeout=600)
    log = demo.stdout + demo.stderr
    assert demo.returncode == 0, log.decode(errors="replace")[-3000:]
    assert b"DEBUG" in log  # the log really is the verbose one

    shown = subprocess.run([sys.executable, "-m", "ivr", "calls", "--config", str(config),
                            "show", "demo.2", "--json"], capture_output=True, check=True)
    record = json.loads(shown.stdout)
    pin_entries = [e for e in record["timeline"] if e["node"] == "ask_pin" and
                   e["kind"] == "digits"]
    assert [e["data"] for e in pin_entries] == [{"sensitive": True, "length": 4,
                                                 "terminated_by": None}]
    lookups = [e["data"] for e in record["timeline"] if e["kind"] == "lookup"]
    assert lookups[0]["ok"] is True  # the backend only answers for the right PIN
    assert record["outcome"] == "self_service"
    assert PIN not in shown.stdout

    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert any(p.name == "calls.sqlite3" for p in files)
    leaked = [str(p) for p in files if PIN in without_timestamps(p.read_bytes())]
    assert leaked == []
    assert PIN not in log
