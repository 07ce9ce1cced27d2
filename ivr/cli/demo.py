"""``ivr demo``: see the whole product on one machine, no Asterisk needed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import time
from pathlib import Path

from ivr.config import Config, load_config
from ivr.ports import free_tcp_port
from ivr.redact import install_log_redaction, redact_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--port", type=int, default=8080, help="dashboard port (default 8080)")
    parser.add_argument("--exit", action="store_true",
                        help="stop after placing the calls (for scripts and tests)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log everything (debug), as when chasing a problem")


async def _main(args: argparse.Namespace) -> int:
    from ivr.demo.run import place_demo_calls

    config = load_config(args.config)
    config.ami.enabled = False
    config.agi.port = free_tcp_port()
    print(f"ivr demo: flows {config.flows.path}, store {redact_url(config.store.url)}")
    print("placing demo calls over FastAGI (the first run also synthesises prompt audio)…")
    started = time.monotonic()
    result = await place_demo_calls(config)
    print(f"{result.calls} calls in {time.monotonic() - started:.1f} s, loading the Korean "
          f"speech model included (the callers' words: {result.voice_s:.1f} s of synthesis)")
    try:
        if args.exit:
            return 0
        await _start_dashboard(config, args.port)
        print(f"\ndashboard: http://127.0.0.1:{args.port}/  (Ctrl-C to stop)")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()
        return 0
    finally:
        await result.service.close()


async def _start_dashboard(config: Config, port: int) -> object:
    """Start the supervisor dashboard on the demo's store with a fresh admin password."""
    from ivr.web import demo as web_demo

    password = secrets.token_urlsafe(9)
    started: object = await web_demo.start(config, port, "admin", password)
    print(f"login: admin / {password}")
    return started


def run(args: argparse.Namespace) -> int:
    """Run the demo until Ctrl-C (or right after the calls with --exit)."""
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    install_log_redaction()
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # one line per query drowns the rest
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_main(args))
    return 0
