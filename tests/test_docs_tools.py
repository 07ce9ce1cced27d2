"""Every command docs/tools.md shows works verbatim, in document order, on a fresh checkout.

As for the README (tests/test_readme.py): the commands run with ``bash`` in a copy of the
checkout after ``ivr demo --exit`` (the calls the worked examples replay). A ``console``
command must print what the document shows (``…`` stands for anything: the demo's calls
are dated by when it ran); an ``sh`` command must do what :data:`SH_CHECKS` says its text
promises. A command spanning a here-document runs as one.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.doc_commands import Checkout, fenced_blocks, fresh_checkout, output_pattern

TOOLS = ROOT / "docs" / "tools.md"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Step:
    """One command of the document; ``expected`` is the output a console block shows."""

    language: str
    command: str
    expected: tuple[str, ...] = ()


def steps() -> list[Step]:
    """The ``sh`` and ``console`` commands of docs/tools.md, in order."""
    out: list[Step] = []
    for language, lines, _skipped in fenced_blocks(TOOLS):
        if language == "sh":
            out += _sh_commands(lines)
        elif language == "console":
            for line in lines:
                if line.startswith("$ "):
                    out.append(Step("console", line[2:]))
                else:
                    last = out[-1]
                    out[-1] = Step("console", last.command, (*last.expected, line))
    return out


def _sh_commands(lines: list[str]) -> list[Step]:
    out: list[Step] = []
    i = 0
    while i < len(lines):
        command = lines[i]
        heredoc = re.search(r"<<'(\w+)'", command)
        if heredoc:
            end = lines.index(heredoc.group(1), i + 1)
            command = "\n".join(lines[i:end + 1])
            i = end
        if command.strip():
            out.append(Step("sh", command))
        i += 1
    return out


def _bare(command: str) -> str:
    """The first line of *command* without its trailing ``# comment``."""
    return re.sub(r"\s+#\s.*$", "", command.splitlines()[0])


Check = Callable[[Checkout, subprocess.CompletedProcess[str]], None]


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _file(name: str, *contains: str) -> Check:
    def check(checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
        _ok(done)
        data = (checkout.path / name).read_bytes()
        for text in contains:
            assert text.encode() in data, (name, text)
    return check


def _prompts_built(_c: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert re.search(r"\d+ built, \d+ skipped", _ok(done)), done.stdout


def _prompts_checked(_c: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    # "exit 1 if any" is missing: the exit code must agree with the count it prints.
    found = re.search(r"(\d+) missing", done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert done.returncode == (0 if found.group(1) == "0" else 1), done.stdout


def _says(*texts: str) -> Check:
    def check(_c: Checkout, done: subprocess.CompletedProcess[str]) -> None:
        out = _ok(done)
        for text in texts:
            assert text in out, (text, out)
    return check


def _survey_json(_c: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    _ok(done)
    data = json.loads(done.stdout)
    assert (data["outcome"], data["reason"]) == ("hangup", "survey_no_score")


def _replay_json(_c: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    _ok(done)
    data = json.loads(done.stdout)
    assert set(data) == {"calls", "by_status", "outcomes", "divergences", "results"}


SWAP = ("sed 's/{key: 3, say: \\[balance/{key: 9, say: [balance/; s/{key: 4, say: \\[billing/"
        "{key: 3, say: [billing/; s/{key: 9, say: \\[balance/{key: 4, say: [balance/' "
        "flows.yaml > swapped.yaml")
SPLIT = ("sed -e 's/^            next: main_menu$/            next: try_short_menu/' "
         "-e '/^        max_seconds: 120$/r ab-nodes.yaml' flows.yaml > ab.yaml")

SH_CHECKS: dict[str, Check] = {
    "ivr graph main -o main.svg": _file("main.svg", "<svg", "main_menu"),
    "ivr graph account -o account.png --highlight ask_account,ask_pin,fetch_balance":
        _file("account.png", "PNG", "IEND"),
    "ivr prompts build": _prompts_built,
    "ivr prompts build --check": _prompts_checked,
    "ivr prompts build --prune": _prompts_built,
    "ivr prompts list": _says("main.main_menu.prompt"),
    "ivr simulate main --at 2026-11-20T10:00-05:00 -i 1 -i 3 -i 123456 -i 1 -i 4321# -i 2 "
    "--demo-backend": _says("outcome: self_service"),
    "ivr simulate main": _says("outcome: abandoned"),
    "ivr simulate csat -i hangup --json": _survey_json,
    "cat > ab-nodes.yaml <<'EOF'": _file("ab-nodes.yaml", "type: split", "short_menu:"),
    SPLIT: _file("ab.yaml", "next: try_short_menu", "      try_short_menu:"),
    "ivr graph main --flows ab.yaml -o ab.svg": _file("ab.svg", "current · 50%", "short · 50%"),
    SWAP: _file("swapped.yaml", "{key: 3, say: [billing", "{key: 4, say: [balance"),
    "ivr replay --since 2026-11-20 --until 2026-11-27 --flows swapped.yaml --json":
        _replay_json,
}


def _synthesiser_missed(done: subprocess.CompletedProcess[str]) -> bool:
    """The command failed only because espeak-ng wrote no audio for some prompt."""
    failures = [line for line in done.stderr.splitlines() if line.startswith("FAILED ")]
    return (done.returncode == 1 and bool(failures)
            and all("espeak-ng produced no audio" in line for line in failures))


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Checkout:
    """A copy of the checkout's files with the demo's calls."""
    return fresh_checkout(tmp_path_factory.mktemp("tools") / "ivr")


def test_the_document_shows_these_commands() -> None:
    """A change to docs/tools.md must say here what its new command promises."""
    assert [_bare(s.command) for s in steps() if s.language == "sh"] == list(SH_CHECKS)
    consoles = [s.command for s in steps() if s.language == "console"]
    assert "ivr replay --since 7d --flows swapped.yaml" in consoles
    assert "ivr replay --since 7d --flows ab.yaml" in consoles
    assert len(consoles) == 7


def test_every_command_works_verbatim_in_document_order(checkout: Checkout) -> None:
    for step in steps():
        done = checkout.run(step.command)
        if _synthesiser_missed(done):
            # espeak-ng under load now and then writes no audio for one prompt (seen in
            # tests/cli/test_prompts.py too); a user runs the build again, and so do we, once.
            done = checkout.run(step.command)
        if step.language == "sh":
            SH_CHECKS[_bare(step.command)](checkout, done)
            continue
        assert done.returncode == 0, (step.command, done.stdout, done.stderr)
        pattern = output_pattern(step.expected)
        shown = [done.stdout, done.stdout + done.stderr]
        assert any(pattern.fullmatch(text) for text in shown), (
            f"{step.command}\nexpected:\n" + "\n".join(step.expected) + f"\ngot:\n{shown[1]}")
