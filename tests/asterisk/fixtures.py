"""Session fixtures for the real Asterisk 22 sandbox (``scripts/asterisk-sandbox``).

Register with ``pytest_plugins = ("tests.asterisk.fixtures",)`` (tests/conftest.py). Use the
``asterisk`` fixture: it brings the sandbox up once per session (needs root; skips locally,
fails in CI when it cannot) and leaves it running for other sessions unless CI is set.

The ``AmiObserver`` uses the blocking ``asterisk-ami`` package, deliberately not our own
panoramisk-based client, so the tests observe Asterisk independently of the code under test.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, need

SCRIPT = ROOT / "scripts" / "asterisk-sandbox"
SANDBOX_DIR = Path(os.environ.get("IVR_SANDBOX_DIR", "/var/cache/ivr-asterisk-sandbox"))
AMI_PORT = 5038


class AmiLogin:
    """An AMI user of asterisk_conf/manager.conf, as ``(name, secret)``.

    The shipped manager.conf has no secrets; ``scripts/asterisk-sandbox up`` generates
    one per user and hands it out with ``asterisk-sandbox secret USER``. It is read when
    first used, i.e. after the ``asterisk`` fixture has brought the sandbox up.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._secret: str | None = None

    @property
    def secret(self) -> str:
        """The sandbox's secret for this user."""
        if self._secret is None:
            out = subprocess.run([str(SCRIPT), "secret", self.name], capture_output=True,
                                 text=True, timeout=30, check=True)
            self._secret = out.stdout.strip()
        return self._secret

    def __iter__(self) -> Iterator[str]:
        return iter((self.name, self.secret))

    def __getitem__(self, index: int) -> str:
        return (self.name, self.secret)[index]


#: The AMI users the sandbox's manager.conf defines.
SERVICE_USER = AmiLogin("ivr")
TEST_USER = AmiLogin("ivr-test")


@dataclass
class Sandbox:
    """A running sandbox Asterisk."""

    root: Path = SANDBOX_DIR / "root"
    ami_host: str = "127.0.0.1"
    ami_port: int = AMI_PORT

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command (``asterisk -rx``) and return its output."""
        out = subprocess.run(
            ["chroot", str(self.root), "asterisk", "-rx", command],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout

    def script(self, action: str) -> None:
        """Run ``scripts/asterisk-sandbox <action>`` (up, down, restart)."""
        subprocess.run([str(SCRIPT), action], check=True, timeout=600, capture_output=True)

    def observer(self) -> AmiObserver:
        """Log in a new independent AMI observer (close it when done)."""
        return AmiObserver(self.ami_host, self.ami_port)


@dataclass
class AmiObserver:
    """Blocking AMI client (``asterisk-ami``) that records every event it sees."""

    host: str
    port: int
    events: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from asterisk.ami import AMIClient

        self._cond = threading.Condition()
        # The library gives its socket the same timeout as its responses, and its reader thread
        # dies on a socket timeout, i.e. after 10 quiet seconds (e.g. while a test starts
        # `ivr serve` processes); every later action then goes unanswered. Clearing the timeout
        # after login raced the reader's first recv, so connect with none and give only the
        # responses one.
        self._client: Any = AMIClient(address=self.host, port=self.port, timeout=None)
        self._client.add_event_listener(self._on_event)
        self._client.connect()
        self._client._timeout = 10
        response = self._client.login(username=TEST_USER[0], secret=TEST_USER[1]).response
        if response is None or response.is_error():
            raise RuntimeError(f"AMI login failed: {response}")

    def _on_event(self, event: Any, source: Any) -> None:
        with self._cond:
            self.events.append({"Event": event.name, **event.keys})
            self._cond.notify_all()

    def action(self, name: str, **keys: str) -> dict[str, str]:
        """Send an action and return its response headers."""
        from asterisk.ami import SimpleAction

        # Originate's Variable is a list of NAME=value; elsewhere (Getvar) it is one header.
        variables = keys.pop("Variable", None) if name == "Originate" else None
        action = SimpleAction(name, **keys)
        if variables:
            action.variables = dict(v.split("=", 1) for v in variables.split(","))
        response = self._client.send_action(action).response
        if response is None:
            raise TimeoutError(f"no response to {name}")
        return {"Response": response.status, **response.keys}

    def wait_for(
        self, match: Callable[[dict[str, str]], bool], timeout: float = 20.0
    ) -> dict[str, str]:
        """Return the first recorded event (past or future) that *match* accepts."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for event in self.events[seen:]:
                    if match(event):
                        return event
                seen = len(self.events)
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [e.get("Event") for e in self.events[-30:]]
                    raise TimeoutError(f"no matching AMI event; last events: {names}")
                self._cond.wait(left)

    def close(self) -> None:
        """Log off and disconnect."""
        try:
            self._client.logoff()
        finally:
            self._client.disconnect()


def sandbox_available() -> tuple[bool, str]:
    """Whether this machine can run the sandbox (root + debootstrap)."""
    if os.geteuid() != 0:
        return False, "the Asterisk sandbox needs root"
    if subprocess.run(["which", "debootstrap"], capture_output=True).returncode != 0:
        return False, "debootstrap is not installed (scripts/setup-system)"
    return True, ""


@pytest.fixture(scope="session")
def asterisk() -> Iterator[Sandbox]:
    """Bring the real Asterisk 22 sandbox up for the whole session."""
    ok, why = sandbox_available()
    need(ok, why)
    sandbox = Sandbox()
    was_up = subprocess.run([str(SCRIPT), "status"], capture_output=True).returncode == 0
    if not was_up:
        result = subprocess.run([str(SCRIPT), "up"], capture_output=True, text=True, timeout=900)
        need(result.returncode == 0, f"asterisk-sandbox up failed: {result.stderr[-2000:]}")
    else:
        # Another checkout may have started it: load this checkout's dialplan and AMI users.
        result = subprocess.run([str(SCRIPT), "reload"], capture_output=True, text=True,
                                timeout=120)
        need(result.returncode == 0, f"asterisk-sandbox reload failed: {result.stderr[-2000:]}")
    yield sandbox
    if not was_up and os.environ.get("CI"):
        subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=120)


@pytest.fixture
def ami_observer(asterisk: Sandbox) -> Iterator[AmiObserver]:
    """Log in an independent AMI observer for one test."""
    observer = asterisk.observer()
    yield observer
    observer.close()


async def eventually(check: Callable[[], bool | Awaitable[bool]], within_s: float = 20.0) -> None:
    """Poll *check* (plain or async) until true: state that arrives by AMI has no other signal."""
    import asyncio
    import inspect

    for _ in range(int(within_s / 0.05)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within_s} s")
