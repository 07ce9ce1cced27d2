"""Rate-limited logging for events a peer can repeat at will (refused connections, bad frames).

A flood of refused connections must not become a flood of log lines: the
first event of a kind is logged at once, the next ones within ``interval_s``
are only counted, and the first line after the interval says how many were
held back. Kinds are a fixed set of names chosen by the code (never a peer
address), so the state cannot grow with what peers send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    opened_at: float
    held_back: int = 0


class RateLimitedLog:
    """At most one line per kind and interval on *logger*; the rest are counted."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval_s
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        #: Every event seen per kind, logged or not (tests and metrics read it).
        self.counts: dict[str, int] = {}

    def log(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless *kind* was logged less than an interval ago.

        Returns whether a line was written.
        """
        return self._log(level, kind, message, args)

    def warning(self, kind: str, message: str, *args: object) -> bool:
        """:meth:`log` at WARNING."""
        return self._log(logging.WARNING, kind, message, args)

    def _log(self, level: int, kind: str, message: str, args: tuple[object, ...]) -> bool:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        now = self._clock()
        window = self._windows.get(kind)
        if window is not None and now - window.opened_at < self._interval:
            window.held_back += 1
            return False
        if window is not None and window.held_back:
            message += " (%d more like this in the last %.0f s not logged)"
            args = (*args, window.held_back, now - window.opened_at)
        self._windows[kind] = _Window(opened_at=now)
        # stacklevel 3: the record names the line that called log() or warning(), not this one.
        self._logger.log(level, message, *args, stacklevel=3)
        return True
