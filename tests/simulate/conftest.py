"""The demo self-service backend on the port the example flows call (127.0.0.1:8099)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from ivr.demo import backend


@pytest.fixture(scope="module")
def balance_backend() -> Iterator[str]:
    """Serve the backend from its own thread and loop, so blocking subprocess calls can use it.

    Module-scoped: ``ivr demo`` (tests/demo, tests/test_readme.py) serves the same port
    itself, so the port must be free again once the simulator's tests are done.
    """
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner_box: list[object] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner_box.append(loop.run_until_complete(backend.start()))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="balance-backend", daemon=True)
    thread.start()
    assert ready.wait(10), "the demo backend did not start on 127.0.0.1:8099"
    yield "http://127.0.0.1:8099/api/balance"
    runner = runner_box[0]
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)  # type: ignore[attr-defined]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
