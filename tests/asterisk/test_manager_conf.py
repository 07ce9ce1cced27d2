"""The shipped manager.conf has no AMI secret, and the real Asterisk 22 then refuses every login.

Asterisk's main/manager.c only compares the given secret when the user has one; a user
without a ``secret`` line can never log in. The opposite mistake, ``secret =`` with no
value, lets anyone log in with an empty secret, which is why the file leaves the line
commented out. Both are checked against the sandbox's Asterisk, started afresh on each file
(a ``manager reload`` keeps a secret the file no longer has: found by this test); its own
copy of the file, with generated secrets, is put back afterwards. ``ivr serve`` with a wrong
secret stops with a message naming manager.conf.
"""

from __future__ import annotations

import configparser
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asterisk.fixtures import SERVICE_USER, TEST_USER, Sandbox
from tests.conftest import ROOT

pytestmark = [pytest.mark.asterisk]

SHIPPED = ROOT / "asterisk_conf" / "manager.conf"


def _login(sandbox: Sandbox, user: str, secret: str | None) -> str:
    """The ``Response:`` of one plain-text AMI Login (``secret=None`` sends no Secret)."""
    with socket.create_connection((sandbox.ami_host, sandbox.ami_port), timeout=10) as s:
        stream = s.makefile("rwb")
        stream.readline()  # the banner
        lines = ["Action: Login", f"Username: {user}"]
        if secret is not None:
            lines.append(f"Secret: {secret}")
        stream.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        stream.flush()
        reply = []
        while (line := stream.readline().decode().strip()):
            reply.append(line)
    return next(line.split(":", 1)[1].strip() for line in reply if line.startswith("Response:"))


def _sections(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(comment_prefixes=(";",), strict=False,
                                       interpolation=None)
    parser.read_string(text)
    return parser


def test_the_shipped_file_sets_no_secret() -> None:
    parsed = _sections(SHIPPED.read_text())
    assert {"ivr", "ivr-test"} <= set(parsed.sections())
    for user in ("ivr", "ivr-test"):
        assert "secret" not in parsed[user]


def _restart(sandbox: Sandbox) -> None:
    """Restart Asterisk in place (re-exec, every file read afresh) and wait until booted."""
    subprocess.run(["chroot", str(sandbox.root), "asterisk", "-rx", "core restart now"],
                   capture_output=True, timeout=30)
    time.sleep(1)  # the old process must be gone before "fully booted" means the new one
    deadline = time.monotonic() + 60
    while subprocess.run(["chroot", str(sandbox.root), "asterisk", "-rx",
                          "core waitfullybooted"], capture_output=True,
                         timeout=30).returncode != 0:
        assert time.monotonic() < deadline, "Asterisk did not come back after a restart"
        time.sleep(0.5)
    while True:
        try:
            socket.create_connection((sandbox.ami_host, sandbox.ami_port), timeout=2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "AMI did not come back after a restart"
            time.sleep(0.2)


@pytest.fixture
def installed(asterisk: Sandbox) -> Iterator[Path]:
    """The chroot's manager.conf; whatever a test writes there is undone afterwards."""
    path = asterisk.root / "etc" / "asterisk" / "manager.conf"
    saved = path.read_bytes()
    yield path
    path.write_bytes(saved)
    _restart(asterisk)
    assert _login(asterisk, TEST_USER.name, TEST_USER.secret) == "Success"


def test_asterisk_refuses_every_login_until_a_secret_is_set(
        asterisk: Sandbox, installed: Path) -> None:
    assert _login(asterisk, SERVICE_USER.name, SERVICE_USER.secret) == "Success"
    installed.write_text(SHIPPED.read_text())
    _restart(asterisk)
    for secret in ("", None, "<a long random value>", SERVICE_USER.secret):
        assert _login(asterisk, "ivr", secret) == "Error", secret
    # The mistake the file warns against: an empty value accepts an empty secret.
    installed.write_text(SHIPPED.read_text().replace(";secret = <a long random value>",
                                                     "secret ="))
    _restart(asterisk)
    assert _login(asterisk, "ivr", "") == "Success"


def test_the_sandbox_generated_a_long_random_secret_per_user(asterisk: Sandbox) -> None:
    secrets = {SERVICE_USER.secret, TEST_USER.secret}
    assert len(secrets) == 2
    assert all(len(s) >= 32 for s in secrets)
    conf = (asterisk.root / "etc" / "asterisk" / "manager.conf").read_text()
    assert _sections(conf)["ivr"]["secret"] == SERVICE_USER.secret
    assert (asterisk.root / "etc" / "asterisk" / "manager.conf").stat().st_mode & 0o077 == 0


def test_ivr_serve_stops_with_a_message_naming_manager_conf(asterisk: Sandbox,
                                                            tmp_path: Path) -> None:
    config = tmp_path / "ivr.toml"
    config.write_text(f'[flows]\npath = "{ROOT / "tests" / "agi" / "flows" / "session.yaml"}"\n'
                      f'[agi]\nport = 0\n[ami]\nhost = "{asterisk.ami_host}"\n'
                      f'port = {asterisk.ami_port}\nusername = "ivr"\n')
    done = subprocess.run([sys.executable, "-m", "ivr", "serve", "--no-store", "--config",
                           str(config)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "IVR_AMI_SECRET": "not-the-secret",
                                           "IVR_SPEECH_AUDIOSOCKET_PORT": "0"})
    assert done.returncode == 1
    assert "Asterisk refused the AMI login of user 'ivr'" in done.stderr
    assert "manager.conf" in done.stderr
    assert "not-the-secret" not in done.stdout + done.stderr
