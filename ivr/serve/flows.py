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

    def _files(self) -> list[Path]:
        files = {self.path, *self.current.sources}
        if self.path.is_dir():
            files.update(self.path.rglob("*.yaml"))
        return sorted(files)

    def _fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for file in self._files():
            try:
                st = file.stat()
            except OSError:
                out.append((str(file), -1, -1))
                continue
            out.append((str(file), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def reload(self) -> bool:
        """Load the flows again; return True when a new version is now current."""
        self._stamp = self._fingerprint()
        try:
            fresh = self._load(self.path)
        except Exception as exc:  # the loader's FlowErrors, or a file that vanished mid-edit
            message = str(exc)
            self.rejected.append(message)
            log.error(
                "flows reload REJECTED, still serving version %s:\n%s",
                self.current.version,
                message,
            )
            return False
        if fresh.version == self.current.version:
            return False
        old, self.current = self.current.version, fresh
        log.warning("flows reloaded: version %s -> %s", old, fresh.version)
        return True

    def changed(self) -> bool:
        """Whether any flow file changed since the last (attempted) load."""
        return self._fingerprint() != self._stamp

    async def watch(self, interval_s: float = 0.5) -> None:
        """Reload whenever a flow file changes (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval_s)
            if self.changed():
                self.reload()
