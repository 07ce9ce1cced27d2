"""``ivr bench replay``: the shape of what it prints (its timings are figures, not checked)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ivr.bench.replay_calls import SCRIPTS
from tests.conftest import ROOT
from tests.replay.calls import SHIPPED, swap_3_and_4


def _bench(*argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "ivr", "bench", "replay", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_the_text_names_the_calls_the_times_and_the_statuses() -> None:
    out = _bench("--calls", "30").stdout.splitlines()
    calls = 3 * len(SCRIPTS)  # rounded up to whole sets of scripts
    assert re.fullmatch(rf"{calls} engine-made calls through flows\.yaml \([\d.]+ s to make, "
                        r"[\d.]+ s to store in SQLite\); \d+ cores", out[0]), out
    assert re.fullmatch(r"replay through flows\.yaml: [\d.]+ s from the store \(\d+ calls/s, "
                        r"[\d.]+ ms per call\), [\d.]+ s engine only", out[1]), out
    assert out[2] == f"statuses: same {calls}"


def test_json_against_a_changed_file_counts_what_changed(tmp_path: Path) -> None:
    folder = tmp_path
    shutil.copytree(ROOT / "flows", folder / "flows")  # the included files
    swapped = folder / "swapped.yaml"
    swapped.write_text(swap_3_and_4(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    data = json.loads(_bench("--calls", str(len(SCRIPTS)), "--against", str(swapped),
                             "--json").stdout)
    assert set(data) == {"calls", "cores", "make_s", "store_seed_s", "replay_s", "calls_per_s",
                         "ms_per_call", "engine_only_s", "by_status", "flows", "against"}
    assert data["calls"] == len(SCRIPTS)
    # One of each script: balance and the PIN hang-up end in billing now; billing by key
    # (English and Spanish) meets an account question its caller never answered.
    assert data["by_status"] == {"changed": 2, "not_replayable": 2, "same": 7}
    assert data["against"] == str(swapped)
    assert all(data[k] > 0 for k in ("replay_s", "calls_per_s", "ms_per_call", "engine_only_s"))
