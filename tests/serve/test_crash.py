"""kill -9 of ``ivr serve`` during 50 calls leaves 50 records that say where each caller was.

The service runs as a real process on SQLite; 50 FastAGI peers (playing
Asterisk's part) walk a chain of menus and each stops answering at a different
depth, so the calls are alive at different nodes when the process is killed.
A restart of the same instance then closes those records as ``interrupted``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivr.agi.protocol import split_like_asterisk
from ivr.bench.agi_peer import CallScript, answer
from tests.conftest import ROOT

HERE = Path(__file__).parent
FLOWS = HERE / "flows" / "crash.yaml"
CALLS = 50
IVR = [sys.executable, "-m", "ivr"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _prompt_nodes(recordings: Path) -> dict[str, str]:
    """Audio file stem -> node, from ``ivr prompts list`` (what ops would read too)."""
    out = subprocess.run([*IVR, "prompts", "list", "--flows", str(FLOWS), "--recordings",
                          str(recordings)], capture_output=True, text=True, check=True).stdout
    nodes = {}
    for line in out.splitlines():
        parts = line.split()
        where = line.rsplit("(", 1)[-1].rstrip(")")
        if where.startswith("main."):
            nodes[parts[1].removesuffix(".wav")] = where.split(".")[1]
    return nodes


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    recordings = tmp_path / "recordings"
    subprocess.run([*IVR, "prompts", "build", "--flows", str(FLOWS), "--recordings",
                    str(recordings)], check=True, capture_output=True)
    config = tmp_path / "ivr.toml"
    config.write_text(
        f'recordings_dir = "{recordings}"\n'
        f'[flows]\npath = "{FLOWS}"\nreload = false\n'
        f'[agi]\nport = {_free_port()}\ninstance = "crash-test"\n'
        f'[ami]\nenabled = false\n'
        f'[store]\nurl = "sqlite:///{tmp_path / "calls.sqlite3"}"\n'
    )
    return config, _prompt_nodes(recordings)


def _serve(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*IVR, "serve", "--config", str(config)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("ivr serve did not listen within 30 s")


async def _caller(port: int, n: int, stop_after: int, nodes: dict[str, str],
                  where: dict[str, str], stalled: asyncio.Event) -> None:
    """Answer like Asterisk until command *stop_after*, then go silent (the call hangs)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("".join(f"agi_{k}: {v}\n" for k, v in {
        "network": "yes", "network_script": "main", "request": f"agi://127.0.0.1:{port}/main",
        "channel": f"PJSIP/crash-{n:04d}", "uniqueid": f"crash.{n}", "callerid": f"555{n:04d}",
        "dnid": "100", "language": "en", "version": "22.0.0"}.items()) + "\n").encode())
    script = CallScript(list("11123"))
    count = 0
    try:
        while line := await reader.readline():
            count += 1
            words = split_like_asterisk(line.decode())
            if words[:2] == ["STREAM", "FILE"]:
                # A shared prompt (settings.no_match) is played by the node the call is in.
                stem = Path(words[2]).name
                where[f"crash.{n}"] = nodes.get(stem) or where[f"crash.{n}"]
            if count == stop_after:
                stalled.set()
                await asyncio.Event().wait()  # never answer: the caller is mid-command
            writer.write(answer(words, script).encode() + b"\n")
    finally:
        writer.close()


def _rows(db: Path) -> list[tuple[str, str | None, str | None, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT c.call_id, c.outcome, c.last_node, "
            "(SELECT count(*) FROM call_timeline t WHERE t.call_id = c.call_id) "
            "FROM calls c ORDER BY c.call_id").fetchall()


@pytest.mark.slow
async def test_kill_9_mid_call_leaves_every_call_where_it_was(
        setup: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    config, nodes = setup
    port = int(config.read_text().split("port = ")[1].split()[0])
    db = tmp_path / "calls.sqlite3"
    proc = _serve(config)
    _wait_port(port, proc)
    where: dict[str, str] = {}
    stalled = [asyncio.Event() for _ in range(CALLS)]
    # STREAM FILE / WAIT FOR DIGIT pairs: stopping after 2..9 commands spreads the
    # calls over the welcome prompt, both menus and the digit collection.
    callers = [asyncio.create_task(_caller(port, n, 2 + n % 8, nodes, where, stalled[n]))
               for n in range(CALLS)]
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in stalled)), 60)
        expected = {f"crash.{n}": where[f"crash.{n}"] for n in range(CALLS)}
        # The store commits within a transaction's time; wait until it shows every call
        # at the node its caller is in, then pull the plug.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            seen = {call_id: node for call_id, _o, node, _n in _rows(db)}
            if seen == expected:
                break
            await asyncio.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        for task in callers:
            task.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
        if proc.poll() is None:
            proc.kill()
    assert len(set(expected.values())) == 4, expected  # the calls really were spread out
    rows = _rows(db)
    assert len(rows) == CALLS
    assert {call_id: node for call_id, _o, node, _n in rows} == expected
    assert all(outcome is None and entries >= 3 for _c, outcome, _n, entries in rows)

    # The same instance comes back: it closes what its crash cut off, where each call was.
    again = _serve(config)
    try:
        _wait_port(port, again)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(20)
    listed = json.loads((await asyncio.to_thread(
        subprocess.run,
        [*IVR, "calls", "--config", str(config), "--outcome", "interrupted", "--json"],
        capture_output=True, text=True, check=True)).stdout)
    assert {c["call_id"]: c["outcome_node"] for c in listed} == expected
