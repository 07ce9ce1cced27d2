"""The flows the service runs, reloaded when ``flows.yaml`` changes or on SIGHUP.

A call keeps a reference to the :class:`FlowSet` it started with, so swapping
``current`` never changes a call in progress: it finishes on its version, new
calls get the new one. A broken edit is rejected with the loader's
``FILE:LINE:COL`` messages (the same as ``ivr validate``), logged at ERROR,
and the previous flows keep serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from ivr.flows.flowset import FlowSet
from ivr.flows.loader import Stamp, files_stamp

log = logging.getLogger(__name__)

Loader = Callable[[Path], FlowSet]


class FlowsHolder:
    """The current flow set plus how to reload it."""

    def __init__(self, path: Path, load: Loader) -> None:
        self.path = path
        self._load = load
        self.current: FlowSet = load(path)
        #: Rejected reloads and their messages, newest last (for status pages and tests).
        self.rejected: list[str] = []
        self._stamp = self._fingerprint()
        self._pending: set[asyncio.Task[bool]] = set()
        #: Told of each new version once it is current (the service loads its speech models).
        self.on_swap: Callable[[FlowSet], None] | None = None

    def _fingerprint(self) -> Stamp:
        return files_stamp(self.path, self.current.sources)

    def reload(self) -> bool:
        """Load the flows again (blocking); return True when a new version is now current."""
        self._stamp = self._fingerprint()
        return self._swap(self._attempt())

    async def reload_off_loop(self) -> bool:
        """:meth:`reload` with the files read and parsed in a worker thread.

        Parsing and checking a large flow file takes milliseconds to seconds; calls on
        the event loop must not wait for it. Only the swap happens on the loop.
        """
        self._stamp = await asyncio.to_thread(self._fingerprint)
        return self._swap(await asyncio.to_thread(self._attempt))

    def reload_soon(self) -> None:
        """Start :meth:`reload_off_loop` from a signal handler (SIGHUP)."""
        task = asyncio.get_running_loop().create_task(self.reload_off_loop(), name="flows-reload")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _attempt(self) -> FlowSet | str:
        try:
            return self._load(self.path)
        except Exception as exc:  # the loader's FlowErrors, or a file that vanished mid-edit
            return str(exc)

    def _swap(self, fresh: FlowSet | str) -> bool:
        if isinstance(fresh, str):
            self.rejected.append(fresh)
            log.error(
                "flows reload REJECTED, still serving version %s:\n%s",
                self.current.version,
                fresh,
            )
            return False
        if fresh.version == self.current.version:
            return False
        old, self.current = self.current.version, fresh
        log.warning("flows reloaded: version %s -> %s", old, fresh.version)
        if self.on_swap is not None:
            self.on_swap(fresh)
        return True

    def changed(self) -> bool:
        """Whether any flow file changed since the last (attempted) load."""
        return self._fingerprint() != self._stamp

    async def watch(self, interval_s: float = 0.5) -> None:
        """Reload whenever a flow file changes (until cancelled), reading files off the loop."""
        while True:
            await asyncio.sleep(interval_s)
            if await asyncio.to_thread(self.changed):
                await self.reload_off_loop()
