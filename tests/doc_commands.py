"""Running a document's commands verbatim: a fresh copy of the checkout, fenced blocks, output.

Shared by the tests of README.md and docs/tools.md: each runs its commands with ``bash``
in a copy of the checkout's files, where ``ivr demo --exit`` has left its calls (what
``scripts/demo`` leaves behind), with the venv running the tests as ``.venv``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.ports import free_tcp_port
from tests.conftest import ROOT


def fenced_blocks(path: Path, skip_mark: str | None = None) -> list[tuple[str, list[str], bool]]:
    """(language, lines, skipped) of every fenced block in *path*.

    A block is *skipped* when the line before it starts with *skip_mark*.
    """
    blocks: list[tuple[str, list[str], bool]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)$", lines[i])
        if fence is None:
            i += 1
            continue
        skipped = bool(skip_mark) and i > 0 and lines[i - 1].startswith(str(skip_mark))
        end = lines.index("```", i + 1)
        blocks.append((fence.group(1), lines[i + 1:end], skipped))
        i = end + 1
    return blocks


def output_pattern(expected: tuple[str, ...]) -> re.Pattern[str]:
    """The output a console block shows after a command: ``…`` stands for anything.

    A line that is only ``…`` stands for any number of lines; within a line, any text.
    """
    parts = []
    for line in expected:
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in line.split("…")) + r"\n")
    return re.compile("".join(parts))


@dataclass(frozen=True)
class Checkout:
    """The fresh copy the commands run in, and the environment an activated venv gives."""

    path: Path
    env: dict[str, str]

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """Run *command* verbatim with bash in the copy (no terminal: standard input is empty)."""
        return subprocess.run(["bash", "-c", command], cwd=self.path, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=300)


def fresh_checkout(path: Path) -> Checkout:
    """Copy the checkout's files to *path*, link the venv, run ``ivr demo --exit`` there."""
    if shutil.which("git") is None or shutil.which("dot") is None:
        pytest.skip("needs git and graphviz (scripts/setup-system)")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_file():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name)
    # The venv scripts/demo makes; its editable install may point at another checkout, so
    # PYTHONPATH makes the copy's own code the one that runs.
    (path / ".venv").symlink_to(Path(sys.prefix))
    # Ports a test machine may have taken (the fixed defaults stay in the documents).
    env = {**os.environ, "PYTHONPATH": str(path), "IVR_WEB_PORT": str(free_tcp_port()),
           "IVR_SPEECH_AUDIOSOCKET_PORT": str(free_tcp_port())}
    env.pop("VIRTUAL_ENV", None)
    env.pop("CI", None)
    env["PATH"] = f"{path / '.venv' / 'bin'}:{env.get('PATH', '')}"
    fresh = Checkout(path, env)
    for _attempt in range(3):
        demo = fresh.run(".venv/bin/ivr demo --exit")
        assert demo.returncode == 0, demo.stdout + demo.stderr
        errors = fresh.run(".venv/bin/ivr calls --outcome error")
        if errors.stdout.strip() == "no calls match":
            return fresh
        # A demo call ended in error (seen on a loaded machine, where espeak-ng now and
        # then renders no audio for a prompt): that is not the day the documents show, so
        # the day is made again from an empty store.
        shutil.rmtree(path / "ivr-data")
    raise AssertionError(f"ivr demo made calls that ended in error three times:\n{errors.stdout}")
