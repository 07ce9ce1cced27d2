"""Every command README.md shows works verbatim on a fresh checkout.

The README's two set-up commands (``bash scripts/demo``, ``bash scripts/test``) install
system packages and the venv; this test stands in for them with the venv running it and
``ivr demo --exit`` (what ``scripts/demo`` leaves behind: its calls in ``ivr-data/`` and
the prompt audio). Every other command, from the ``sh`` blocks and the ``console`` block,
then runs verbatim with ``bash`` in a copy of the checkout, and each must give what the
README says: a ``console`` command's output as written (``…`` stands for anything), an
``sh`` command what :data:`SH_CHECKS` says its comment promises. A block the README marks
``<!-- not run by tests/test_readme.py: WHY -->`` is skipped (the Vosk download).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from ivr.config import Config, load_config
from tests.conftest import ROOT
from tests.doc_commands import Checkout, fenced_blocks, fresh_checkout, output_pattern

README = ROOT / "README.md"
SETUP = ("bash scripts/demo", "bash scripts/test")
SKIP_MARK = "<!-- not run by tests/test_readme.py:"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Command:
    """One command line as the README shows it, and what follows it in a console block."""

    line: str
    expected: tuple[str, ...] = ()

    @property
    def bare(self) -> str:
        """The command without its trailing ``# comment``."""
        return re.sub(r"\s+#\s.*$", "", self.line)


def readme_blocks() -> list[tuple[str, list[str], bool]]:
    """(language, lines, skipped) of every fenced block in the README."""
    return fenced_blocks(README, SKIP_MARK)


def sh_commands() -> list[Command]:
    """Commands of the ``sh`` blocks that are run (not the set-up ones, not marked skipped)."""
    out = []
    for lang, lines, skipped in readme_blocks():
        if lang == "sh" and not skipped:
            out += [Command(line) for line in lines if line.strip() and line not in SETUP]
    return out


def console_commands() -> list[Command]:
    """``$ command`` lines of the ``console`` blocks, each with the output shown after it."""
    out: list[Command] = []
    for lang, lines, _skipped in readme_blocks():
        if lang != "console":
            continue
        for line in lines:
            if line.startswith("$ "):
                out.append(Command(line[2:]))
            else:
                out[-1] = Command(out[-1].line, (*out[-1].expected, line))
    return out


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Checkout:
    """A copy of the checkout's files after the set-up commands (venv, demo calls)."""
    return fresh_checkout(tmp_path_factory.mktemp("readme") / "ivr")


def _expected_exit(command: Command) -> int:
    match = re.search(r"\s#\s+exit (\d+)", command.line)
    return int(match.group(1)) if match else 0


def test_the_readme_shows_these_commands() -> None:
    """The commands this test knows; a README change must say here what its command gives."""
    assert [c.bare for c in sh_commands()] == list(SH_CHECKS)
    assert len(console_commands()) == 8
    skipped = [lines for lang, lines, skipped in readme_blocks() if skipped]
    assert len(skipped) == 1
    assert skipped[0][0].startswith("curl -LO https://alphacephei.com/vosk/models/")


def test_the_shipped_example_config_is_the_defaults() -> None:
    """``ivr.toml.example`` says "every value shown is the default"; it is."""
    assert load_config(ROOT / "ivr.toml.example", environ={}) == Config()


def test_the_console_commands_print_what_the_readme_shows(checkout: Checkout) -> None:
    for command in console_commands():
        done = checkout.run(command.line)
        assert done.returncode == _expected_exit(command), (command.line, done.stderr)
        pattern = output_pattern(command.expected)
        shown = [done.stdout, done.stdout + done.stderr]
        assert any(pattern.fullmatch(text) for text in shown), (
            f"{command.line}\nexpected:\n" + "\n".join(command.expected) + f"\ngot:\n{shown[1]}")


# What each sh command's comment promises, checked on its result in the copy.
Check = Callable[[Checkout, subprocess.CompletedProcess[str]], None]


def _activates(checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    # Without the venv's bin on PATH, as in a new terminal.
    env = {**checkout.env, "PATH": os.defpath}
    found = subprocess.run(["bash", "-c", ". .venv/bin/activate && command -v ivr"],
                           cwd=checkout.path, env=env, capture_output=True, text=True)
    # .venv here is a link to the venv running the tests, whose activate names its real path.
    ivr = checkout.path / ".venv" / "bin" / "ivr"
    assert Path(found.stdout.strip()).resolve() == ivr.resolve(), found.stderr


def _copies_config(checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert load_config(checkout.path / "ivr.toml", environ={}).web.port == 8080


def _adds_maria(_checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert (done.returncode, done.stdout) == (0, "added maria (supervisor)\n"), done.stderr


def _lists_demo_7(_checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert [row.split()[2] for row in rows] == ["demo.7"]
    assert "abandoned" in rows[0]


def _shows_demo_7(_checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("call demo.7  flow main")
    assert "the caller hung up" in done.stdout


def _lists_pending_callbacks(_checkout: Checkout, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    # The demo's calls leave no callback owed, or only pending ones: never another status.
    assert rows == ["no callback requests"] or all("pending" in row for row in rows[1:]), rows


SH_CHECKS: dict[str, Check] = {
    ". .venv/bin/activate": _activates,
    "cp ivr.toml.example ivr.toml": _copies_config,
    "echo 'a long passphrase' | ivr users --config ivr.toml add maria --role supervisor "
    "--password-stdin": _adds_maria,
    "ivr calls --config ivr.toml --outcome abandoned": _lists_demo_7,
    "ivr calls --config ivr.toml show demo.7": _shows_demo_7,
    "ivr callbacks --config ivr.toml --status pending": _lists_pending_callbacks,
    # Runs until stopped: checked by test_the_dashboard_serves_the_demo_calls_to_maria.
    "ivr dashboard --config ivr.toml": lambda _c, _d: None,
}
LONG_RUNNING = "ivr dashboard --config ivr.toml"


def test_the_sh_commands_do_what_their_comments_say(checkout: Checkout) -> None:
    for command in sh_commands():
        if command.bare == LONG_RUNNING:
            continue
        SH_CHECKS[command.bare](checkout, checkout.run(command.line))


async def test_the_dashboard_serves_the_demo_calls_to_maria(checkout: Checkout) -> None:
    # After the commands before it: maria exists, ivr.toml is there. The port is a free
    # one (IVR_WEB_PORT) because 8080 may be taken on a test machine.
    for command in sh_commands():
        if command.bare == LONG_RUNNING:
            break
        checkout.run(command.line)
    port = checkout.env["IVR_WEB_PORT"]
    server = await asyncio.create_subprocess_exec(
        "bash", "-c", f"exec {LONG_RUNNING}", cwd=checkout.path, env=checkout.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # unsafe: keep the login cookies of an IP address (127.0.0.1), as a browser does.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            form = await _login_form(http, f"http://127.0.0.1:{port}/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            async with http.post(f"http://127.0.0.1:{port}/login", data={
                    "name": "maria", "password": "a long passphrase",
                    "csrf_token": token.group(1), "next": "/calls"}) as reply:
                page = await reply.text()
                assert reply.status == 200, page
        assert "demo.7" in page
    finally:
        server.send_signal(signal.SIGINT)
        await asyncio.wait_for(server.wait(), 20)


async def _login_form(http: aiohttp.ClientSession, url: str) -> str:
    for _ in range(200):
        try:
            async with http.get(url) as reply:
                return await reply.text()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"the dashboard never answered at {url}")
