"""``ivr graph``: real SVG/PNG files from the shipped example."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ivr.cli import main
from tests.conftest import need
from tests.flows.svg import SVG, parse_svg
from tests.flowsets import EXAMPLE, ROOT, example_flowset


@pytest.fixture(autouse=True)
def _dot() -> None:
    need(shutil.which("dot") is not None, "Graphviz 'dot' is not installed (Debian: graphviz)")


def test_graph_main_writes_svg_naming_every_node(tmp_path: Path) -> None:
    out = tmp_path / "main.svg"
    # As ops run it: the console entry point, in a fresh process.
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "graph", "main", "-o", str(out), "--flows", str(EXAMPLE)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )
    assert done.returncode == 0, done.stderr
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    titles = {t.text for t in root.iter(f"{SVG}title")}
    texts = {t.text for t in root.iter(f"{SVG}text")}
    for name in example_flowset().flows["main"].nodes:
        assert name in titles
        assert name in texts


def test_graph_png(tmp_path: Path) -> None:
    out = tmp_path / "account.png"
    assert main(["graph", "account", "-o", str(out), "--flows", str(EXAMPLE)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_highlight(tmp_path: Path) -> None:
    plain, lit = tmp_path / "plain.svg", tmp_path / "lit.svg"
    assert main(["graph", "csat", "-o", str(plain), "--flows", str(EXAMPLE)]) == 0
    assert main(["graph", "csat", "-o", str(lit), "--flows", str(EXAMPLE),
                 "--highlight", "rate, bye"]) == 0
    before, _, _ = parse_svg(plain.read_bytes())
    after, _, _ = parse_svg(lit.read_bytes())
    assert {t for t in before if before[t].fills != after[t].fills} == {"rate", "bye"}


def test_graph_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["graph", "csat", "-o", "-", "--format", "svg", "--flows", str(EXAMPLE)]) == 0
    assert b"<svg" in capsysbinary.readouterr().out


def test_graph_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "main", "-o", str(tmp_path / "x.gif"), "--flows", str(EXAMPLE)]) == 2
    assert ".svg or .png" in capsys.readouterr().err
    assert main(["graph", "nope", "-o", str(tmp_path / "x.svg"), "--flows", str(EXAMPLE)]) == 1
    assert "no flow named 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
    assert main(["graph", "main", "-o", str(tmp_path / "y.svg"),
                 "--flows", str(tmp_path / "missing.yaml")]) == 1
    assert "missing.yaml" in capsys.readouterr().err
