"""``ivr demo`` and ``ivr dashboard`` never print the database password operators put in the URL.

docs/operations.md tells operators to pass ``IVR_STORE_URL=postgresql://user:secret@…``.
Both commands run here on the machine's PostgreSQL (trust auth ignores the password, so a
made-up one reaches every code path that shows the URL) and their whole output, debug log
included, must not contain it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import requests

from ivr.ports import free_tcp_port
from tests.calls.backends import PG_ADMIN, pg_admin
from tests.conftest import need
from tests.demo.config import demo_config

SECRET = "Sup3r-s3cret-pw"


@pytest.fixture
def store_with_password() -> Iterator[str]:
    """A fresh PostgreSQL database, named by a URL that carries a password."""
    name = f"ivr_secret_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        need(False, f"PostgreSQL is not reachable: {exc}")
    user_host = PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0]  # postgres@127.0.0.1:5432
    user, host = user_host.split("@", 1)
    yield f"postgresql://{user}:{SECRET}@{host}/{name}"
    asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _env(url: str) -> dict[str, str]:
    # Port 0: another test's service may hold the default AudioSocket port.
    return {**os.environ, "IVR_STORE_URL": url, "IVR_SPEECH_AUDIOSOCKET_PORT": "0"}


@pytest.mark.slow
def test_the_demo_shows_the_store_without_its_password(tmp_path: Path,
                                                       store_with_password: str) -> None:
    config = demo_config(tmp_path, tmp_path / "unused.sqlite3")
    demo = subprocess.run([sys.executable, "-m", "ivr", "demo", "--exit", "--verbose",
                           "--config", str(config)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=_env(store_with_password))
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-3000:]
    assert "store postgresql://postgres:***@" in demo.stdout
    assert SECRET not in output


def test_the_dashboard_shows_the_store_without_its_password(tmp_path: Path,
                                                            store_with_password: str) -> None:
    port = free_tcp_port()
    dashboard = subprocess.Popen(
        [sys.executable, "-m", "ivr", "dashboard", "--port", str(port)], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_env(store_with_password))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                # The page answers once the store is open (migrated over that URL).
                if requests.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("ivr dashboard did not answer")
    finally:
        dashboard.terminate()
        output, _ = dashboard.communicate(timeout=30)
    assert "store postgresql://postgres:***@127.0.0.1" in output
    assert SECRET not in output
