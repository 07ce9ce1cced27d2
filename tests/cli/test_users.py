"""``ivr users`` manages dashboard logins from the terminal."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from ivr.calls.store import open_store
from ivr.web.throttle import Attempt, LoginThrottle, Refusal
from ivr.web.users import Users


def _ivr(store: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", "users", "--store", store, *args],
                          input=stdin, capture_output=True, text=True, timeout=60)


async def test_add_list_role_passwd_disable_remove(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    added = _ivr(url, "add", "dana", "--role", "supervisor", "--password-stdin",
                 stdin="a good long password\n")
    assert added.returncode == 0, added.stderr
    again = _ivr(url, "add", "dana", "--password-stdin", stdin="another long one\n")
    assert again.returncode == 1
    assert "exists" in again.stderr
    short = _ivr(url, "add", "eve", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert "at least 10 characters" in short.stderr
    assert _ivr(url, "role", "dana", "admin").returncode == 0
    assert _ivr(url, "passwd", "dana", "--password-stdin", stdin="the new password\n") \
        .returncode == 0
    listed = _ivr(url, "list").stdout.split()
    assert listed == ["dana", "admin"]

    store = await open_store(url)
    users = Users(store.engine)
    assert await users.verify("dana", "a good long password") is None
    dana = await users.verify("dana", "the new password")
    assert dana is not None
    assert dana.is_admin
    await store.close()

    assert _ivr(url, "disable", "dana").returncode == 0
    store = await open_store(url)
    assert await Users(store.engine).verify("dana", "the new password") is None
    await store.close()
    assert _ivr(url, "remove", "dana").returncode == 0
    assert _ivr(url, "remove", "dana").returncode == 1


def test_without_a_terminal_the_password_must_come_on_stdin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    no_tty = _ivr(url, "add", "dana")  # stdin is a pipe, not a terminal
    assert no_tty.returncode == 1
    assert "Traceback" not in no_tty.stderr
    assert "with --password-stdin" in no_tty.stderr
    empty = _ivr(url, "add", "dana", "--password-stdin")
    assert empty.returncode == 1
    assert "no password on standard input" in empty.stderr
    assert _ivr(url, "list").stdout == ""


def test_a_missing_config_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ivr", "users", "--config", "nowhere.toml",
                           "list"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("ivr users: nowhere.toml: no such config file "
                           "(start from ivr.toml.example: cp ivr.toml.example nowhere.toml)\n")
async def test_unlock_clears_a_locked_name_from_the_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    assert _ivr(url, "add", "dana", "--password-stdin", stdin="a good long password\n") \
        .returncode == 0
    store = await open_store(url)
    throttle = LoginThrottle(store.engine)
    now = dt.datetime.now(dt.UTC)
    for _ in range(10):
        now += dt.timedelta(seconds=20)  # past each back-off wait: ten checked failures
        attempt = await throttle.begin("dana", "192.0.2.1", now)
        assert isinstance(attempt, Attempt)
        await throttle.finish(attempt, False, now)
    assert isinstance(await throttle.begin("dana", "192.0.2.2", now), Refusal)
    await store.close()

    done = _ivr(url, "unlock", "dana")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "name dana unlocked\n"
    assert _ivr(url, "unlock", "192.0.2.1", "--address").returncode == 0

    store = await open_store(url)
    try:
        again = await LoginThrottle(store.engine).begin("dana", "192.0.2.1", now)
        assert isinstance(again, Attempt)
    finally:
        await store.close()


async def test_an_agent_login_gets_its_queue_interface(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    bare = _ivr(url, "add", "alice", "--role", "agent", "--password-stdin",
                stdin="a good long password\n")
    assert bare.returncode == 1
    assert "an agent needs its queue interface" in bare.stderr
    added = _ivr(url, "add", "alice", "--role", "agent", "--interface", "PJSIP/alice",
                 "--password-stdin", stdin="a good long password\n")
    assert added.returncode == 0, added.stderr
    moved = _ivr(url, "interface", "alice", "Local/4200@agents/n")
    assert moved.returncode == 0, moved.stderr
    assert _ivr(url, "list").stdout.split() == ["alice", "agent", "Local/4200@agents/n"]
    store = await open_store(url)
    alice = await Users(store.engine).verify("alice", "a good long password")
    await store.close()
    assert alice is not None
    assert (alice.is_agent, alice.interface) == (True, "Local/4200@agents/n")
