"""The running test cluster (scripts/cluster) and what became of each call in it.

A call's fate is read from two places a site would read it from too: the call store
(``ivr calls --json``) and each Asterisk's ``queue_log`` (a caller who entered a queue
reached the people behind it, whatever the IVR service did).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.cluster.load import GroupRun
from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "cluster"
CACHE = Path(os.environ.get("IVR_CLUSTER_DIR", "/var/cache/ivr-cluster"))
LOGS = CACHE / "root" / "var" / "log"
PG = "postgresql://postgres@127.0.0.1:5432"
#: The tests' own database, dropped and made again for each session.
DB = "ivr_cluster_test"
STORE = f"{PG}/{DB}"
PARTS = ("asterisk-a", "asterisk-b", "ivr-1", "ivr-2", "kamailio", "dashboard")
#: Outcomes that end a caller's time in the IVR (in_progress and no outcome do not).
FINAL = {"queue", "transfer", "voicemail", "callback", "hangup", "self_service", "abandoned",
         "error", "interrupted"}


def missing_parts() -> str:
    """Why the cluster cannot run here ("" when it can)."""
    if os.geteuid() != 0:
        return "the cluster needs root (chroot, mount)"
    for tool in ("kamailio", "kamcmd", "sipp", "psql", "rsync"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (bash scripts/setup-system)"
    return ""


@dataclass
class Cluster:
    """scripts/cluster, started with the test flows on the tests' own database."""

    env: dict[str, str]
    #: The flows file the services run (a copy the reload test may change).
    flows: Path

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([str(SCRIPT), *args], env=self.env, capture_output=True,
                              text=True, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"scripts/cluster {' '.join(args)} failed:\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def pid(self, part: str) -> int | None:
        out = subprocess.run([str(SCRIPT), "pid", part], env=self.env, capture_output=True,
                             text=True).stdout.strip()
        return int(out) if out else None

    def targets(self) -> dict[str, str]:
        """Kamailio's dispatcher targets and their flags (AP active, IP/TP inactive)."""
        out = self.run("status", check=False)
        return {line.split()[1]: line.split()[2] for line in out.splitlines()
                if line.startswith("  target ")}

    def wait_targets(self, want: dict[str, str], within_s: float) -> float:
        """Seconds until the dispatcher's targets have the *want* flags.

        A flag is the first letter of Kamailio's ("A": active), or "!A": inactive or being
        tried again.
        """
        start = time.monotonic()
        while True:
            have = self.targets()
            if all(have.get(uri, "")[:1] != flag[1:2] if flag.startswith("!")
                   else have.get(uri, "")[:1] == flag[:1] for uri, flag in want.items()):
                return time.monotonic() - start
            if time.monotonic() - start > within_s:
                raise AssertionError(f"dispatcher targets {have}, wanted {want}")
            time.sleep(0.1)


def records() -> list[dict[str, Any]]:
    """Every call in the tests' store (``ivr calls --json``)."""
    out = subprocess.run([sys.executable, "-m", "ivr", "calls", "--store", STORE, "--json",
                          "--limit", "100000"], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    found: list[dict[str, Any]] = json.loads(out)
    return found


def queue_entries() -> dict[str, str]:
    """Call id -> queue, for every caller who entered a queue on either Asterisk."""
    entered = {}
    for log in LOGS.glob("asterisk-cluster-*/queue_log"):
        for line in log.read_text().splitlines():
            parts = line.split("|")
            if len(parts) > 4 and parts[4] == "ENTERQUEUE":
                entered[parts[1]] = parts[2]
    return entered


@dataclass
class Fates:
    """Each caller's record(s) and queue, and what is wrong with them."""

    by_caller: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def outcomes(self) -> Counter[str]:
        return Counter(str(rs[0]["outcome"]) for rs in self.by_caller.values() if len(rs) == 1)

    def queued(self, caller: str) -> str | None:
        rs = self.by_caller.get(caller, [])
        return self.entered.get(rs[0]["call_id"]) if len(rs) == 1 else None


def fates(runs: list[GroupRun], wait_s: float = 20.0) -> Fates:
    """Read every caller's fate, waiting up to *wait_s* for records still being closed."""
    callers = [c for run in runs for c in run.group.callers()]
    deadline = time.monotonic() + wait_s
    while True:
        every = records()
        mine = set(callers)
        by_caller: dict[str, list[dict[str, Any]]] = {c: [] for c in callers}
        for record in every:
            if record["caller"] in mine:
                by_caller[record["caller"]].append(record)
        settled = all(len(rs) == 1 and rs[0]["outcome"] in FINAL for rs in by_caller.values())
        if settled or time.monotonic() > deadline:
            return Fates(by_caller, queue_entries())
        time.sleep(0.5)


def check_clean(runs: list[GroupRun], result: Fates) -> list[str]:
    """Problems with calls that no fault touched.

    sipp completed each, each has one record, in the queue the keys chose, and the caller
    entered that queue on an Asterisk.
    """
    problems = []
    for run in runs:
        if run.code != 0 or run.successful != run.group.calls:
            problems.append(f"{run.group.prefix}: sipp completed {run.successful} of "
                            f"{run.group.calls} calls (exit {run.code})\n{run.output[-2500:]}")
        for caller in run.group.callers():
            problems += check_call(caller, run.group.queue, result)
    return problems


def check_call(caller: str, queue: str, result: Fates) -> list[str]:
    """One clean call: one record, outcome queue *queue*, and the caller entered it."""
    rs = result.by_caller.get(caller, [])
    if len(rs) != 1:
        return [f"caller {caller}: {len(rs)} records"]
    record = rs[0]
    if record["outcome"] != "queue" or record["queue"] != queue:
        return [f"caller {caller}: outcome {record['outcome']} queue {record['queue']}, "
                f"wanted queue {queue} ({record['call_id']} at {record['last_node']})"]
    if result.entered.get(record["call_id"]) != queue:
        return [f"caller {caller}: {record['call_id']} never entered queue {queue} "
                f"(entered {result.entered.get(record['call_id'])})"]
    return []


def check_cared_for(callers: list[str], result: Fates) -> list[str]:
    """Problems with callers a fault may have touched.

    Each must have exactly one record, and have reached a person (entered a queue) or have
    a final outcome in it.
    """
    problems = []
    for caller in callers:
        rs = result.by_caller.get(caller, [])
        if len(rs) != 1:
            problems.append(f"caller {caller}: {len(rs)} records")
        elif result.queued(caller) is None and rs[0]["outcome"] not in FINAL:
            problems.append(f"caller {caller}: no queue and no outcome "
                            f"({rs[0]['call_id']} at {rs[0]['last_node']})")
    return problems
