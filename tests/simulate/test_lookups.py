"""The simulator's lookups follow the live service's rules and say why one failed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.flows.loader import parse_flowset
from ivr.ports import free_tcp_port
from ivr.simulate.driver import run_flow, scripted
from tests.conftest import ROOT
from tests.flowsets import copy_example
from tests.interpreter.backend import lookup_backend, lookup_flow


@pytest.fixture
async def backend() -> AsyncIterator[str]:
    async with lookup_backend() as url:
        yield url


async def _lookup(url: str) -> dict[str, object]:
    flowset = parse_flowset(lookup_flow(url, timeout_s=0.5))
    sim = await run_flow(flowset, "main", scripted([]), at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    (lookup,) = sim.as_json()["lookups"]
    assert isinstance(lookup, dict)
    return lookup


async def test_a_good_reply_is_a_result(backend: str) -> None:
    lookup = await _lookup(f"{backend}/ok")
    assert (lookup["ok"], lookup["status"], lookup["error"]) == (True, 200, None)


async def test_a_redirect_is_refused_as_on_the_live_service(backend: str) -> None:
    lookup = await _lookup(f"{backend}/moved")
    assert (lookup["ok"], lookup["status"]) == (False, 302)
    assert lookup["error"] == "redirect refused (HTTP 302)"


async def test_an_http_error_names_its_status(backend: str) -> None:
    lookup = await _lookup(f"{backend}/broken")
    assert (lookup["ok"], lookup["error"]) == (False, "HTTP 503")


async def test_a_slow_backend_is_a_timeout(backend: str) -> None:
    lookup = await _lookup(f"{backend}/slow")
    assert (lookup["ok"], lookup["error"]) == (False, "timeout after 0.5 s")


async def test_nothing_listening_is_connection_refused() -> None:
    lookup = await _lookup(f"http://127.0.0.1:{free_tcp_port()}/x")
    assert (lookup["ok"], lookup["error"]) == (False, "connection refused")


def _simulate(*args: str, stdin: str | None = None,
              cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", "simulate", "main", *args],
                          input=stdin, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_terminal_view_and_the_json_say_why_the_balance_lookup_failed(
        tmp_path: Path) -> None:
    # The shipped flows with the balance backend on a port nothing listens on (8099 may be
    # served by another test's demo backend).
    port = free_tcp_port()
    copy_example(tmp_path, backend_port=port)
    inputs = ["-i", "1", "-i", "3", "-i", "123456", "-i", "1", "-i", "4321#"]
    shown = _simulate("--at", "2026-11-20T10:00-05:00", *inputs, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "lookup at fetch_balance failed: connection refused " \
           f"(http://127.0.0.1:{port}/api/balance)" in shown.stdout
    assert "path: choose_language > check_hours > main_menu > account > ask_account > " \
           "ask_pin > fetch_balance > lookup_failed > to_billing" in shown.stdout
    as_json = _simulate("--at", "2026-11-20T10:00-05:00", "--json", *inputs, cwd=tmp_path)
    result = json.loads(as_json.stdout)
    assert result["lookups"][0]["error"] == "connection refused"
    assert "4321" not in as_json.stdout


def test_json_mode_keeps_stdout_pure_json_when_typing() -> None:
    done = _simulate("--at", "2026-11-20T10:00-05:00", "--json", stdin="1\n1\n")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the one object
    assert result["outcome"] == "queue"
    assert "♪ For English, press 1." in done.stderr
    assert "[main_menu] keys or say:…>" in done.stderr


def test_the_issue_walk_ends_without_a_traceback() -> None:
    """``-i 8 -i 1 -i 3 -i say:banana`` at opening hours used to end in a traceback."""
    done = _simulate("--at", "2026-11-20T10:00-05:00", "--json",
                     "-i", "8", "-i", "1", "-i", "3", "-i", "say:banana")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "abandoned"  # the inputs ran out at the account question
    assert result["node"] == "ask_account"
    keys = _simulate("--at", "2026-11-20T10:00-05:00", "--json",
                     "-i", "1", "-i", "2", "-i", "42", "-i", "say:no internet")
    result = json.loads(keys.stdout)  # keys at the free-form reason: not heard, as live
    assert "keys 42 are not taken at reason: ignored, as on a phone" in result["notes"]
    assert result["variables"]["reason"] == "no internet"
    assert (result["outcome"], result["queue"]) == ("queue", "support")
