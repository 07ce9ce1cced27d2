"""Real ``ivr serve`` processes sharing one PostgreSQL store (the multi-instance callback tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ivr.ports import free_tcp_port
from tests.asterisk.fixtures import SERVICE_USER
from tests.conftest import ROOT

FLOWS = Path(__file__).with_name("flows.yaml")


@dataclass
class Instance:
    """One ``ivr serve`` process."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill9(self) -> None:
        """Die the hard way (no lease released, no goodbye to AMI)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """Stop cleanly if still running."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_instance(tmp_path: Path, name: str, store_url: str) -> Instance:
    """Start ``python -m ivr serve`` named *name* dialling ``Local/{number}@ivr-test-callee``."""
    port = free_tcp_port()
    config = tmp_path / f"{name}.toml"
    config.write_text(f"""\
recordings_dir = "{ROOT / 'recordings'}"
[flows]
path = "{FLOWS}"
reload = false
[agi]
port = {port}
instance = "{name}"
[ami]
username = "{SERVICE_USER[0]}"
[store]
url = "{store_url}"
[speech]
audiosocket_port = {free_tcp_port()}
[callbacks]
dial = "Local/{{number}}@ivr-test-callee"
company = "Harbor Telecom"
agi_url = "agi://127.0.0.1:{port}"
poll_s = 0.3
ring_s = 4
lease_s = 30
backoff_s = 2
""", encoding="utf-8")
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "IVR_AMI_SECRET": SERVICE_USER[1], "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ivr", "serve", "--config",
                                    str(config)], stdout=out, stderr=subprocess.STDOUT,
                                   env=env, cwd=tmp_path)
    return Instance(name, process, log)
