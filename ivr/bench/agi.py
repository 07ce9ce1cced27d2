"""``ivr bench agi``: our FastAGI service against a bare asyncio responder, same machine, same run.

Each side runs in its own process so the load generator (this process, which
answers commands the way Asterisk does, see :mod:`ivr.bench.agi_peer`) does
not share an event loop with it. Figures:

* calls/s: finished calls over wall time, seen by the load generator;
* turnaround p50/p99: measured service-side, from a reply arriving to the
  next command leaving (what our code adds to every step of a call);
* memory per call: the service's peak RSS above its idle RSS, divided by the
  number of calls open at once;
* CPU per call: the service process's CPU time (every thread) over the measured calls,
  divided by the calls: with ``--store`` and ``--ami`` it describes a deployment, and
  ``--breakdown`` shows what the store and AMI each add.

The baseline speaks the same protocol with no framework: read the header,
send as many ``STREAM FILE`` commands as our service sent per call, close.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import statistics
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ivr.bench.agi_peer import PeerStats, run_calls
from ivr.flows.loader import load_flowset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr bench agi``."""
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--flows", type=Path, default=Path("flows.yaml"))
    parser.add_argument("--flow", default="main", help="flow to run (FastAGI request path)")
    parser.add_argument("--keys", default="11", help="keys each caller presses, in order")
    parser.add_argument("--hangup-ratio", type=float, default=0.1,
                        help="share of callers who hang up part-way")
    parser.add_argument("--recordings", type=Path, default=Path("recordings"))
    parser.add_argument("--store", help="call store URL (default: no store, AGI path only)")
    parser.add_argument("--ami", metavar="HOST:PORT",
                        help="connect the service to this AMI (user --ami-user, secret from "
                             "IVR_AMI_SECRET), as a deployment does; default: no AMI")
    parser.add_argument("--ami-user", default="ivr")
    parser.add_argument("--pace-ms", type=float, default=0.0,
                        help="each prompt or wait lasts about this long (0: answer at once); "
                             "~1000 makes calls overlap, and share commits, as real ones do")
    parser.add_argument("--breakdown", action="store_true",
                        help="also run the service without the store and/or without AMI, "
                             "to show what each costs in CPU per call")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _bare_server(commands: int, turnarounds: list[float]) -> asyncio.Server:
    """Start the baseline: a FastAGI responder written directly on asyncio streams."""
    command = b'STREAM FILE "/tmp/bench-prompt" "0123456789"\n'

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\n\n")
            last = time.perf_counter()
            for _ in range(commands):
                turnarounds.append(time.perf_counter() - last)
                writer.write(command)
                if not await reader.readline():
                    break
                last = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)


async def _service(kind: str, options: dict[str, Any], conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    turnarounds: list[float] = []
    closer: Any
    if kind == "bare":
        server = await _bare_server(int(options["commands"]), turnarounds)
        port = server.sockets[0].getsockname()[1]
        closer = server
    else:
        from ivr.agi.server import AgiServer
        from ivr.config import Config
        from ivr.serve.wiring import build_service

        config = Config()
        config.flows.path = Path(options["flows"])
        config.flows.reload = False
        config.ami.enabled = bool(options.get("ami"))
        if options.get("ami"):
            host, _, port_text = str(options["ami"]).rpartition(":")
            config.ami.host, config.ami.port = host or "127.0.0.1", int(port_text)
            config.ami.username = str(options["ami_user"])
            config.ami.secret = os.environ.get("IVR_AMI_SECRET", "")
        config.agi.port = 0
        config.speech.audiosocket_port = 0  # never collide with a running service
        config.recordings_dir = Path(options["recordings"])
        if options.get("store"):
            config.store.url = options["store"]
            config.store.commit_wait_s = float(options["commit_wait_s"])
        service = await build_service(config, with_store=bool(options.get("store")))
        service.server = AgiServer(service.handle, "127.0.0.1", 0, turnarounds=turnarounds)
        await service.start()
        if service.ami is not None:
            async with asyncio.timeout(30):
                await service.ami.wait_connected()
        port = service.server.port
        closer = service
    peak = _rss_bytes()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _rss_bytes())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    conn.send(port)
    idle = _rss_bytes()
    cpu = time.process_time()
    while (message := await loop.run_in_executor(None, conn.recv)) != "stop":
        if message == "reset":
            turnarounds.clear()
            idle = peak = _rss_bytes()
            cpu = time.process_time()
            conn.send("ok")
    # Every thread of the service process (aiosqlite's included), from reset to here.
    cpu = time.process_time() - cpu
    sampler.cancel()
    ms = [t * 1000 for t in turnarounds]
    conn.send({
        "turnarounds": len(ms),
        "p50_ms": _percentile(ms, 0.50),
        "p99_ms": _percentile(ms, 0.99),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        "rss_idle": idle,
        "rss_peak": peak,
        "cpu_s": cpu,
    })
    if kind == "bare":
        closer.close()
        await closer.wait_closed()
    else:
        await closer.close()


def _service_main(kind: str, options: dict[str, Any], conn: Connection) -> None:
    asyncio.run(_service(kind, options, conn))


def _measure(kind: str, args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_service_main, args=(kind, options, child), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 120
        # The service process may die while starting: say so instead of waiting it out.
        while not parent.poll(0.2):
            if not process.is_alive():
                raise RuntimeError(f"{kind} service exited while starting "
                                   f"(exit code {process.exitcode}); its error is above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} service did not start within 120 s")
        port = parent.recv()
        warm = min(args.calls, max(20, args.concurrency // 10))
        warmup = asyncio.run(run_calls("127.0.0.1", port, args.flow, warm, min(warm, 20),
                                       args.keys, 0.0, seed=7))
        parent.send("reset")
        parent.recv()
        started = time.perf_counter()
        stats: PeerStats = asyncio.run(run_calls(
            "127.0.0.1", port, args.flow, args.calls, args.concurrency, args.keys,
            args.hangup_ratio, pace_s=args.pace_ms / 1000,
        ))
        elapsed = time.perf_counter() - started
        parent.send("stop")
        service = parent.recv()
    finally:
        process.join(30)
        if process.is_alive():
            process.kill()
    return {
        "calls_per_s": stats.calls / elapsed,
        "elapsed_s": elapsed,
        "stats": stats,
        "warmup_errors": warmup.errors,
        "commands_per_call": stats.commands / max(stats.calls, 1),
        "memory_per_call": max(0, service["rss_peak"] - service["rss_idle"]) / args.concurrency,
        "cpu_per_call_ms": service["cpu_s"] * 1000 / max(stats.calls, 1),
        **service,
    }


def variants(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """The service configurations to measure, ours (as asked) first."""
    base = {"flows": str(args.flows), "recordings": str(args.recordings),
            "store": args.store, "commit_wait_s": 2.0, "ami": args.ami,
            "ami_user": args.ami_user}
    runs = [("ours", base)]
    if args.store:
        # The writes handed over without waiting for their commit (the old behaviour):
        # the price of durability, side by side.
        runs.append(("no commit wait", {**base, "commit_wait_s": 0}))
    if args.breakdown:
        if args.store and args.ami:
            runs += [("no AMI", {**base, "ami": None}), ("no store", {**base, "store": None})]
        if args.store or args.ami:
            runs.append(("neither", {**base, "store": None, "ami": None}))
    return runs


def run(args: argparse.Namespace) -> int:
    """Run every side and print the comparison."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.concurrency * 2 + 256)),
                                                hard))
    # Load the flows here first: a missing or broken file is reported at once, with its
    # FILE:LINE messages, rather than from inside the service's process.
    load_flowset(args.flows, args.recordings)
    if args.ami and not os.environ.get("IVR_AMI_SECRET"):
        print("ivr bench agi: --ami needs the AMI user's secret in IVR_AMI_SECRET")
        return 2
    heads, runs = [], []
    for head, options in variants(args):
        heads.append(head)
        runs.append(_measure("ivr", args, options))
    commands = max(1, round(runs[0]["commands_per_call"]))
    heads.append("baseline")
    runs.append(_measure("bare", args, {"commands": commands}))
    ours = runs[0]
    errors = [e for r in runs for e in r["stats"].errors + r["warmup_errors"]]
    print(f"ivr bench agi: {args.calls} calls, {args.concurrency} concurrent, flow "
          f"{args.flow!r}, keys {args.keys!r}, {args.hangup_ratio:.0%} hang up part-way, "
          f"store {args.store or 'none'}, AMI {args.ami or 'none'}")
    print(f"{'':22}" + "".join(f"{h:>16}" for h in heads) + f"{'ours/baseline':>15}")

    def row(label: str, key: str, unit: str, fmt: str = ".1f", scale: float = 1.0) -> None:
        values = [r[key] / scale for r in runs]
        ratio = values[0] / values[-1] if values[-1] else float("nan")
        cells = "".join(f"{format(v, fmt) + unit:>16}" for v in values)
        print(f"{label:22}{cells}{ratio:>15.2f}")

    row("calls/s", "calls_per_s", "")
    row("CPU per call", "cpu_per_call_ms", " ms", ".2f")
    row("turnaround p50", "p50_ms", " ms", ".3f")
    row("turnaround p99", "p99_ms", " ms", ".3f")
    row("memory per call", "memory_per_call", " KiB", scale=1024)
    row("RSS at idle", "rss_idle", " MiB", scale=1024 * 1024)
    print(f"{'commands per call':22}" + "".join(
        f"{r['commands_per_call']:>16.1f}" for r in runs))
    print(f"{'caller hang-ups':22}" + "".join(f"{r['stats'].hangups:>16}" for r in runs))
    print(f"{'errors':22}{len(errors):>16}")
    for error in errors[:10]:
        print(f"  {error}")
    return 1 if errors or ours["stats"].calls != args.calls else 0
