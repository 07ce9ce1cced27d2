"""Flow sets for tests: the shipped example, and small ones written inline."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from ivr.flows.flowset import FlowSet
from ivr.flows.model import FlowFile
from ivr.ports import free_tcp_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "flows.yaml"
#: Where the shipped flows look for the demo's balance backend.
DEMO_BACKEND = "127.0.0.1:8099"


def copy_example(into: Path, *, backend_port: int | None = None,
                 edit: Callable[[str], str] = lambda text: text) -> Path:
    """The shipped ``flows.yaml`` (with *edit* applied) and its ``flows/`` copied into *into*.

    With *backend_port*, the lookups go to that port instead of 127.0.0.1:8099, which a
    demo in another checkout (or test) may be serving: what a test's lookups meet must not
    depend on what else runs on the machine. Returns the copied ``flows.yaml``.
    """
    shutil.copytree(EXAMPLE.parent / "flows", into / "flows", dirs_exist_ok=True)
    main = into / "flows.yaml"
    main.write_text(edit(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    if backend_port is not None:
        moved = 0
        for path in [main, *sorted((into / "flows").glob("*.yaml"))]:
            text = path.read_text(encoding="utf-8")
            moved += text.count(DEMO_BACKEND)
            path.write_text(text.replace(DEMO_BACKEND, f"127.0.0.1:{backend_port}"),
                            encoding="utf-8")
        assert moved, f"the shipped flows no longer call {DEMO_BACKEND}"
    return main


@contextlib.contextmanager
def demo_backend() -> Iterator[int]:
    """The demo's balance backend on a free loopback port, in a thread; yields the port."""
    from ivr.demo import backend

    port = free_tcp_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(backend.make_app(), access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def example_flowset() -> FlowSet:
    """Load the shipped ``flows.yaml`` with its includes merged."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for include in document.pop("include", []):
        extra = yaml.safe_load((EXAMPLE.parent / include).read_text(encoding="utf-8"))
        document.setdefault("flows", {}).update(extra.get("flows", {}))
    return FlowSet(FlowFile.model_validate(document), "example")


def flowset_from_yaml(text: str) -> FlowSet:
    """Build a flow set from YAML text (no includes)."""
    return FlowSet(FlowFile.model_validate(yaml.safe_load(text)), "inline")
