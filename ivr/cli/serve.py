"""``ivr serve``: answer FastAGI calls from Asterisk until SIGINT/SIGTERM (SIGHUP reloads flows)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from ivr.config import Config, load_config
from ivr.redact import install_log_redaction, redact_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr serve``."""
    parser.add_argument("--config", type=Path, help="ivr.toml (secrets come from IVR_* env)")
    parser.add_argument("--flows", type=Path, help="flows.yaml (overrides [flows] path)")
    parser.add_argument("--host", help="FastAGI address (overrides [agi] host)")
    parser.add_argument("--port", type=int, help="FastAGI port (overrides [agi] port)")
    parser.add_argument("--no-ami", action="store_true", help="run without an AMI connection")
    parser.add_argument("--no-store", action="store_true", help="keep no call records")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def run(args: argparse.Namespace) -> int:
    """Run the service."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    config = load_config(args.config)
    if args.flows:
        config.flows.path = args.flows
    if args.host:
        config.agi.host = args.host
    if args.port is not None:
        config.agi.port = args.port
    if args.no_ami:
        config.ami.enabled = False
    return asyncio.run(_serve(config, with_store=not args.no_store))


async def _serve(config: Config, with_store: bool) -> int:
    from ivr.serve.wiring import build_service

    service = await build_service(config, with_store=with_store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    logging.getLogger("ivr.serve").info(
        "serving flows %s (version %s) on %s:%d",
        config.flows.path, service.flows.current.version, config.agi.host, service.server.port,
    )
    ami = config.ami
    logging.getLogger("ivr.serve").info(
        "store %s; AMI %s", redact_url(config.store.url) if with_store else "off",
        f"{ami.username}@{ami.host}:{ami.port}" if ami.enabled else "off")
    # A refused AMI login cannot heal by itself: stop with the client's message (logged).
    ami_gave_up = service.ami.gave_up if service.ami is not None else asyncio.Event()
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(ami_gave_up.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await service.close()
    if ami_gave_up.is_set():
        print("ivr serve: stopped because Asterisk refused the AMI login; see the error above "
              "(manager.conf and IVR_AMI_SECRET must hold the same secret)", file=sys.stderr)
        return 1
    return 0
