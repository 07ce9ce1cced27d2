"""``ivr validate`` run as the real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
IVR = Path(sys.executable).parent / "ivr"


def ivr_validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``ivr validate ARGS`` in *cwd*."""
    return subprocess.run([str(IVR), "validate", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_shipped_example_validates_clean() -> None:
    done = ivr_validate("flows.yaml", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout


def test_file_defaults_to_flows_yaml_in_the_current_directory() -> None:
    done = ivr_validate(cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("flows.yaml: OK")


def broken_copy(tmp_path: Path) -> Path:
    """A copy of the example (with its include) where one target and one key are misspelt."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    text = (ROOT / "flows.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "next: check_hours" in line)
    lines[target] = lines[target].replace("next: check_hours", "next: check_hour")
    (tmp_path / "flows.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "flows.yaml"


def test_a_broken_copy_gets_file_line_col_errors_and_exit_1(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path)
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1)
                if "check_hour}" in text)
    col = broken.read_text().splitlines()[line - 1].index("check_hour}") + 1
    done = ivr_validate("flows.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert (f"flows.yaml:{line}:{col}: error: 'check_hour' is not a node of flow 'main' "
            "(did you mean 'check_hours'?)") in done.stdout.splitlines()


def test_warnings_print_but_exit_0() -> None:
    done = ivr_validate(str(ROOT / "tests/flows/bad/unreachable.yaml"), cwd=ROOT)
    assert done.returncode == 0
    assert ":15:7: warning: node 'orphan' can never be reached" in done.stdout


def test_json_lists_every_problem(tmp_path: Path) -> None:
    broken_copy(tmp_path)
    done = ivr_validate("--json", "flows.yaml", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert report["ok"] is False
    assert {"file", "line", "col", "severity", "message", "hint"} <= set(report["problems"][0])
    assert any("check_hour" in p["message"] for p in report["problems"])


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    done = ivr_validate("nope.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "nope.yaml" in done.stdout
