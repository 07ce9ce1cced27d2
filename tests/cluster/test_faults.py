"""Faults under load in the cluster, each while callers are in the IVR; each prints a figure.

An `ivr serve` killed, an Asterisk killed, PostgreSQL restarted.

"Held" callers wait in the menu (they press their key only after 7 s), so the fault strikes
while the IVR is running their calls; "new" callers arrive after the fault.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster.load import Group, GroupRun, run_group
from tests.cluster.rig import CACHE, Cluster, Fates, check_call, check_cared_for, check_clean, fates

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.slow]

TARGET_A = "sip:127.0.0.2:5060"
TARGET_B = "sip:127.0.0.3:5060"


def _on(result: Fates, caller: str, asterisk: str) -> bool:
    rs = result.by_caller.get(caller, [])
    return len(rs) == 1 and str(rs[0]["call_id"]).startswith(f"cluster-{asterisk}-")


async def _kill_while_held(cluster: Cluster, part: str, tmp_path: Path, held: Group,
                           how: str = "kill") -> asyncio.Task[GroupRun]:
    """Start *held*'s calls, and end *part* 3 s later, while they are in the menu.

    *how*: "kill" (SIGKILL, a crash) or "stop" (scripts/cluster stop: Asterisk's
    ``core stop now``, which hangs up its calls).
    """
    calls = asyncio.create_task(run_group(tmp_path / "held", held))
    await asyncio.sleep(3)
    pid = cluster.pid(part)
    assert pid is not None, f"{part} is not running"
    if how == "kill":
        os.kill(pid, signal.SIGKILL)
    else:
        await asyncio.to_thread(cluster.run, "stop", part)
    return calls


async def test_kill_one_ivr_serve(cluster: Cluster, tmp_path: Path) -> None:
    """SIGKILL of ivr-1: its calls go to a person through the dialplan, new ones to ivr-2."""
    held = Group("611", 12, "1", "sales", rate=12, first_ms=7000)
    new = Group("612", 12, "2", "support", rate=6)
    held_calls = await _kill_while_held(cluster, "ivr-1", tmp_path, held)
    await asyncio.sleep(0.5)
    new_run = await run_group(tmp_path / "new", new)
    held_run = await held_calls
    # The same instance started again closes what its crash cut off as `interrupted`.
    cluster.run("start", "ivr-1")
    result = fates([held_run, new_run])
    problems = check_clean([new_run], result) + check_cared_for(held.callers(), result)
    cut = [c for c in held.callers() if _on(result, c, "a")]
    for caller in cut:
        record = result.by_caller[caller][0]
        if record["outcome"] != "interrupted" or result.queued(caller) != "support":
            problems.append(f"held caller {caller} on the killed instance: outcome "
                            f"{record['outcome']}, entered {result.queued(caller)}")
    for caller in held.callers():
        if not _on(result, caller, "a"):
            problems += check_call(caller, "sales", result)
    print(f"\nkill -9 ivr serve: {len(cut)} held calls cut off, "
          f"{sum(result.queued(c) == 'support' for c in cut)} of them reached the support "
          f"queue through the dialplan; held calls completed by sipp {held_run.successful}/"
          f"{held.calls}; new calls {new_run.successful}/{new.calls} completed with the right "
          f"record; outcomes {dict(result.outcomes())}")
    assert cut, "no held call was on Asterisk a (served by ivr-1)"
    assert held_run.successful == held.calls, held_run.output[-3000:]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("how", ["kill", "stop"])
async def test_one_asterisk_gone(cluster: Cluster, tmp_path: Path, how: str) -> None:
    """Asterisk a killed or stopped: new calls go to b within the probe interval.

    The calls a carried are lost, each with one closed record "interrupted" at the caller's
    node, whether a was killed or hung them up as it stopped: the callers did not give up.
    """
    # Caller numbers are unique across the session's tests: 711…/712… and 721…/722….
    first = {"kill": "71", "stop": "72"}[how]
    held = Group(f"{first}1", 12, "1", "sales", rate=12, first_ms=7000, hold_ms=3000)
    new = Group(f"{first}2", 12, "2", "support", rate=6)
    kamailio_log = CACHE / "run" / "kamailio.log"
    log_from = kamailio_log.stat().st_size
    held_calls = await _kill_while_held(cluster, "asterisk-a", tmp_path, held, how)
    killed_at = time.monotonic()
    new_calls = asyncio.create_task(run_group(tmp_path / "new", new))
    noticed_s = await asyncio.to_thread(cluster.wait_targets, {TARGET_A: "!A"}, 15)
    new_run, held_run = await new_calls, await held_calls
    try:
        result = fates([held_run, new_run])
    finally:
        cluster.run("start", "asterisk-a")
        back_s = await asyncio.to_thread(cluster.wait_targets, {TARGET_A: "A"}, 15)
    problems = check_clean([new_run], result) + check_cared_for(held.callers(), result)
    lost = [c for c in held.callers() if _on(result, c, "a")]
    # Every new call ran on b: those sent to a before the probe noticed were moved on.
    problems += [f"new caller {c} ran on Asterisk a" for c in new.callers() if _on(result, c, "a")]
    with kamailio_log.open("rb") as log:
        log.seek(log_from)
        moved = log.read().count(b"trying the next one")
    for caller in held.callers():
        if caller not in lost:
            problems += check_call(caller, "sales", result)
    print(f"\n{how} Asterisk a: Kamailio marked it inactive {noticed_s:.1f} s after "
          f"(probe interval 1 s, probe timeout 2 s); new calls {new_run.successful}/{new.calls} "
          f"completed on b with the right record, {moved} INVITEs moved on by ds_next_dst; "
          f"{len(lost)} held calls lost on a, their "
          f"records {sorted({result.by_caller[c][0]['outcome'] for c in lost})}; a back in "
          f"the dispatcher {back_s:.1f} s after restart ({time.monotonic() - killed_at:.0f} s "
          "after the kill)")
    assert lost, "no held call was on Asterisk a"
    assert not problems, "\n".join(problems[:20])
    # Killed, its FastAGI connections simply ended. Stopped, it said HANGUP for each call
    # first, but the channels had no hang-up source (ast_softhangup_all, not a BYE): the
    # service records the calls as cut off either way (docs/operations.md).
    outcomes = {c: result.by_caller[c][0]["outcome"] for c in lost}
    assert set(outcomes.values()) == {"interrupted"}, outcomes


def _postgres_cluster() -> tuple[str, str]:
    """The version and name of the PostgreSQL cluster on port 5432 (pg_lsclusters)."""
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        version, name, port = line.split()[:3]
        if port == "5432":
            return version, name
    raise AssertionError(f"no PostgreSQL cluster on port 5432:\n{out}")


def _postgres_ready(within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode:
        assert time.monotonic() < deadline, "PostgreSQL is not back"
        time.sleep(0.2)


def _ivr_seconds(result: Fates, run: GroupRun) -> list[float]:
    return sorted(float(rs[0]["ivr_seconds"]) for c in run.group.callers()
                  if len(rs := result.by_caller.get(c, [])) == 1 and rs[0]["ivr_seconds"])


async def test_postgres_restart(cluster: Cluster, tmp_path: Path) -> None:
    """PostgreSQL restarted under load: writers wait and drain, and no record is lost.

    Callers should spend no longer in the IVR than callers of a calm moment (see the end).
    """
    calm = Group("911", 12, "1", "sales", rate=6)
    calm_run = await run_group(tmp_path / "calm", calm)
    stormy = Group("912", 24, "1", "sales", rate=6)
    calls = asyncio.create_task(run_group(tmp_path / "stormy", stormy))
    await asyncio.sleep(2.5)
    version, name = _postgres_cluster()
    started = time.monotonic()
    try:
        await asyncio.to_thread(
            subprocess.run, ["pg_ctlcluster", version, name, "restart", "-m", "fast"],
            check=True, capture_output=True, timeout=60)
    finally:
        await asyncio.to_thread(_postgres_ready, 60)
    down_s = time.monotonic() - started
    run = await calls
    result = fates([calm_run, run], wait_s=60)
    lost = check_clean([calm_run], result) + check_cared_for(stormy.callers(), result)
    before, during = _ivr_seconds(result, calm_run), _ivr_seconds(result, run)
    delayed = check_clean([run], result)
    print(f"\nPostgreSQL restart under load ({down_s:.1f} s): {run.successful}/{stormy.calls} "
          f"calls completed, {sum(len(result.by_caller[c]) == 1 for c in stormy.callers())} "
          f"records, outcomes {dict(result.outcomes())}; time in IVR p50/max "
          f"{statistics.median(during):.2f}/{max(during):.2f} s vs calm "
          f"{statistics.median(before):.2f}/{max(before):.2f} s; {len(delayed)} callers not "
          "in their queue")
    # Nothing lost: every call has one record, closed, and the writers drained.
    assert not lost, "\n".join(lost[:20])
    # Callers not delayed: nobody waits for a database that is down (the store's writes are
    # kept and retried), so every caller's keys are heard and they reach their queue as fast
    # as at a calm moment (1 s of slack for a loaded machine).
    assert not delayed, "; ".join(delayed[:5])
    assert max(during) <= max(before) + 1.0, (during, before)
