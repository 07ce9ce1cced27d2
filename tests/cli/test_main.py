"""The ``ivr`` entry point: bad input ends in a message and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_missing_flows_file_is_named_without_a_traceback(tmp_path: Path) -> None:
    # No flows.yaml and no ivr.toml in the working directory: what a user outside a
    # checkout meets first.
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "bench", "agi", "--calls", "1", "--concurrency", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ivr bench: flows.yaml:1:1: error: cannot read"), done.stderr
    assert "Traceback" not in done.stderr
