"""``ivr dashboard``: serve the supervisor dashboard on the configured call store."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aiohttp import web

from ivr.config import load_config
from ivr.redact import install_log_redaction, redact_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--host", default=None, help="address to listen on (default web.host)")
    parser.add_argument("--port", type=int, default=None, help="port (default web.port)")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C."""
    from ivr.web.app import make_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    install_log_redaction()
    config = load_config(args.config)
    host = args.host or config.web.host
    port = args.port or config.web.port
    print(f"dashboard on http://{host}:{port}/ (store {redact_url(config.store.url)}); "
          "add a login with: ivr users add NAME --role supervisor")
    web.run_app(make_app(config), host=host, port=port, print=None)
    return 0
