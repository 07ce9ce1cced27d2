"""The parts ``ivr bench sip`` drives: an Asterisk (the sandbox by default) and an ``ivr serve``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ivr.calls.query import CallFilter, CallSummary, iter_calls
from ivr.calls.store import open_store
from ivr.flows.loader import load_flowset
from ivr.ports import free_tcp_port
from ivr.prompts.audio import audio_file
from ivr.prompts.build import build
from ivr.prompts.catalog import build_catalog

FLOWS = Path(__file__).with_name("sip_flows.yaml")
FLOW = "bench"
#: The dialplan globals [ivr-native-reference] plays, by the bench flow's node.
NATIVE_PROMPTS = {"welcome": "IVR_NATIVE_WELCOME", "help_menu": "IVR_NATIVE_HELP"}
NATIVE_CONTEXT = "ivr-native-reference"
SANDBOX_ROOT = Path("/var/cache/ivr-asterisk-sandbox/root")
SANDBOX_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "asterisk-sandbox"
PROBE_CHANNEL = "ivr-bench-sip-dtmf"


class BenchSetupError(RuntimeError):
    """The Asterisk or the service is not ready for the bench; the message says what to do."""


@dataclass(frozen=True)
class Asterisk:
    """An Asterisk on this machine, in a chroot (the sandbox) or not (*root* = ``/``).

    *instance* names a second Asterisk from the same files the way
    ``IVR_SANDBOX_INSTANCE=NAME scripts/asterisk-sandbox up`` starts one: its
    configuration in ``/etc/asterisk-NAME``, its logs in ``/var/log/asterisk-NAME``.
    """

    root: Path = SANDBOX_ROOT
    instance: str = ""

    @property
    def _suffix(self) -> str:
        return f"-{self.instance}" if self.instance else ""

    @property
    def etc(self) -> Path:
        """Its configuration folder (as a path outside the chroot)."""
        return self.root / f"etc/asterisk{self._suffix}"

    def cli(self, command: str) -> str:
        """Run one CLI command (``asterisk -rx``) and return its output."""
        argv = ["asterisk", "-rx", command]
        if self.instance:
            argv[1:1] = ["-C", f"/etc/asterisk{self._suffix}/asterisk.conf"]
        if self.root != Path("/"):
            argv = ["chroot", str(self.root), *argv]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            raise BenchSetupError(f"asterisk -rx {command!r} failed: {out.stderr.strip()}")
        return out.stdout

    def pid(self) -> int:
        """Asterisk's process id (from its pid file)."""
        path = self.root / f"run/asterisk{self._suffix}/asterisk.pid"
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError) as exc:
            raise BenchSetupError(f"Asterisk is not running ({path}): {exc}") from exc

    @property
    def log_dir(self) -> Path:
        """Where Asterisk writes its logs (astlogdir)."""
        return self.root / f"var/log/asterisk{self._suffix}"

    def _setting(self, file: str, key: str, default: str) -> str:
        """The first ``key = value`` of one of its configuration files."""
        try:
            text = (self.etc / file).read_text()
        except OSError:
            return default
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip() == key and value.strip():
                return value.split(";")[0].strip()
        return default

    @property
    def sip(self) -> str:
        """host:port of its SIP transport (pjsip.conf ``bind``)."""
        return self._setting("pjsip.conf", "bind", "127.0.0.1:5060")

    @property
    def ami_port(self) -> int:
        """Its AMI port (manager.conf ``port``)."""
        return int(self._setting("manager.conf", "port", "5038"))

    def check_ready(self, highest_level: int) -> list[str]:
        """Raise unless the reference context is loaded; return warnings about limits."""
        if f"'{NATIVE_CONTEXT}'" not in self.cli(f"dialplan show {NATIVE_CONTEXT}"):
            raise BenchSetupError(
                f"Asterisk has no [{NATIVE_CONTEXT}] context: load this checkout's "
                "asterisk_conf/ (scripts/asterisk-sandbox reload)")
        notes: list[str] = []
        settings = self.cli("rtp show settings")
        ports = [int(w) for line in settings.splitlines() if "Port start" in line
                 or "Port end" in line for w in line.split() if w.isdigit()]
        if len(ports) == 2 and (ports[1] - ports[0]) // 2 < highest_level:
            notes.append(f"Asterisk's RTP ports {ports[0]}-{ports[1]} carry about "
                         f"{(ports[1] - ports[0]) // 2} calls: fewer than --levels asks for")
        return notes

    def start_probe(self) -> Path:
        """Log DTMF to a channel of our own for the run (verbose lines are in ``messages``)."""
        self.cli(f"logger remove channel {PROBE_CHANNEL}")
        path = self.log_dir / PROBE_CHANNEL
        path.unlink(missing_ok=True)
        self.cli(f"logger add channel {PROBE_CHANNEL} dtmf")
        return path

    def stop_probe(self) -> None:
        """Remove the DTMF channel again (its file is left for inspection)."""
        self.cli(f"logger remove channel {PROBE_CHANNEL}")

    def set_native_prompts(self, prompts: dict[str, Path]) -> None:
        """Point [ivr-native-reference] at the audio the service plays (no extension)."""
        for node, name in NATIVE_PROMPTS.items():
            self.cli(f"dialplan set global {name} {prompts[node].with_suffix('')}")


def build_prompts(recordings: Path, flows: Path = FLOWS, flow: str = FLOW,
                  nodes: Iterable[str] = tuple(NATIVE_PROMPTS)) -> dict[str, Path]:
    """Synthesise a bench flow's prompts (once) and return the audio file of each of *nodes*."""
    flowset = load_flowset(flows)
    catalog = build_catalog(flowset)
    result = build(catalog, recordings)
    if result.failed:
        raise BenchSetupError(f"could not synthesise the bench prompts: {result.failed}")
    files: dict[str, Path] = {}
    wanted = set(nodes)
    for entry in catalog.static:
        for where in entry.where:
            parts = where.split(".")  # flow.node.field, or settings.field
            if parts[0] == flow and len(parts) > 2 and parts[1] in wanted:
                files[parts[1]] = audio_file(entry.prompt, recordings).resolve()
    return files


def ami_secret() -> str | None:
    """The service's AMI secret: IVR_AMI_SECRET, else the sandbox's (None: run without AMI)."""
    if secret := os.environ.get("IVR_AMI_SECRET"):
        return secret
    if SANDBOX_SCRIPT.exists():
        out = subprocess.run([str(SANDBOX_SCRIPT), "secret", "ivr"], capture_output=True,
                             text=True, timeout=30, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return None


class Service:
    """One ``ivr serve`` process running the bench flow, as a deployment would run it."""

    def __init__(self, workdir: Path, store_url: str, recordings: Path,
                 secret: str | None, ami_port: int = 5038, flows: Path = FLOWS) -> None:
        self.workdir = workdir
        self.store_url = store_url
        self.port = free_tcp_port()
        self.config = workdir / "ivr.toml"
        self.log = workdir / "serve.log"
        ami = f'enabled = true\nusername = "ivr"\nport = {ami_port}' if secret \
            else "enabled = false"
        self.config.write_text(f"""\
recordings_dir = "{recordings.resolve()}"
[flows]
path = "{flows}"
reload = false
[agi]
host = "127.0.0.1"
port = {self.port}
instance = "bench"
[ami]
{ami}
[store]
url = "{store_url}"
[speech]
audiosocket_port = {free_tcp_port()}
""", encoding="utf-8")
        self.env = {**os.environ, **({"IVR_AMI_SECRET": secret} if secret else {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def agi_url(self) -> str:
        """Where Asterisk reaches it."""
        return f"agi://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the process (:meth:`start` also waits until it listens)."""
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ivr", "serve", "--config", str(self.config)],
                stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=self.workdir)
        return self.process

    async def start(self, timeout_s: float = 180.0) -> None:
        """Start it and wait until its FastAGI port accepts connections."""
        process = self.launch()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchSetupError(f"ivr serve stopped: {self.log.read_text()[-2000:]}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.3)
                continue
            writer.close()
            return
        raise BenchSetupError(f"ivr serve did not listen within {timeout_s:.0f} s")

    async def wait_for_log(self, text: str, timeout_s: float = 180.0) -> None:
        """Wait until its log holds *text* (e.g. that the speech model has loaded)."""
        deadline = time.monotonic() + timeout_s
        while text not in self.log.read_text(errors="replace"):
            if self.process is not None and self.process.poll() is not None:
                raise BenchSetupError(f"ivr serve stopped: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise BenchSetupError(f"ivr serve did not log {text!r} within {timeout_s:.0f} s")
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


async def stored_calls(store_url: str, caller_prefix: str) -> list[CallSummary]:
    """Every stored call of a caller whose number starts with *caller_prefix*."""
    store = await open_store(store_url)
    try:
        calls = await iter_calls(store, CallFilter(caller=caller_prefix))
    finally:
        await store.close()
    return [c for c in calls if (c.caller or "").startswith(caller_prefix)]
