"""``ivr demo`` (the README's main job) leaves a dashboard running with its calls to look at."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
import requests

from ivr.demo.callers import SCRIPT
from ivr.ports import free_tcp_port
from tests.demo.config import demo_config


@pytest.mark.slow
def test_demo_places_calls_and_serves_them_in_the_dashboard(tmp_path: Path) -> None:
    config = demo_config(tmp_path, tmp_path / "calls.sqlite3")
    port = free_tcp_port()
    demo = subprocess.Popen([sys.executable, "-m", "ivr", "demo", "--port", str(port),
                             "--config", str(config)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert demo.stdout is not None
        output = ""
        deadline = time.monotonic() + 300
        while "dashboard: http" not in output and time.monotonic() < deadline:
            line = demo.stdout.readline()
            assert line, f"ivr demo stopped early:\n{output}"
            output += line
        login = re.search(r"login: (\S+) / (\S+)", output)
        assert login is not None, output
        assert output.count("  call ") == len(SCRIPT)

        http = requests.Session()
        base = f"http://127.0.0.1:{port}"
        form = http.get(f"{base}/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        done = http.post(f"{base}/login", timeout=10, data={
            "name": login.group(1), "password": login.group(2),
            "csrf_token": token.group(1), "next": "/calls"})
        assert done.url.endswith("/calls")
        calls = re.findall(r'href="/calls/(demo\.\d+)"', done.text)
        assert sorted(calls) == sorted(f"demo.{n}" for n in range(len(SCRIPT)))
        voicemail = http.get(f"{base}/calls?outcome=voicemail", timeout=10).text
        found = re.findall(r'href="/calls/(demo\.\d+)"', voicemail)
        # Seen once in a full run on a loaded machine: no voicemail call. Say what each
        # call became, so the next occurrence can be read rather than guessed.
        assert len(found) == 1, _outcomes(tmp_path / "calls.sqlite3")
        (call_id,) = found
        audio = http.get(f"{base}/calls/{call_id}/recording.wav", timeout=10)
        assert audio.content[:4] == b"RIFF"
        # The journey gives the message the length the player shows (whole seconds).
        with wave.open(io.BytesIO(audio.content)) as message:
            seconds = int(message.getnframes() / message.getframerate())
        journey = http.get(f"{base}/calls/{call_id}", timeout=10).text
        assert f"left a message of {seconds // 60}:{seconds % 60:02d}" in journey
        # Right after the demo, Metrics → today has calls.
        today = http.get(f"{base}/metrics?days=1", timeout=10).text
        counted = re.search(r"\): (\d+) calls, (\d+) finished", today)
        assert counted is not None, today
        assert int(counted.group(1)) >= sum(call.today for call in SCRIPT)
        # A Korean caller's journey shows what the recogniser heard, with its evidence.
        korean = next(n for n, call in enumerate(SCRIPT) if call.says)
        page = http.get(f"{base}/calls/demo.{korean}", timeout=10).text
        for shown in ("What the caller said", "% sure", "N-best"):
            assert shown in page, page
        # The callbacks page lists the callback made and the one still to make.
        made = http.get(f"{base}/callbacks", timeout=10).text
        for status in ("connected", "pending"):
            assert status in made, made
    finally:
        demo.terminate()
        demo.wait(30)


def _outcomes(database: Path) -> str:
    """Each demo call's id, outcome, last node and start, from the demo's SQLite store."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT call_id, outcome, last_node, started_at FROM calls"
                          " ORDER BY call_id").fetchall()
    return "\n".join(" ".join(str(value) for value in row) for row in rows)
