"""The wallboard thresholds an admin sets in the dashboard: checked, stored, read back.

They live in the store's ``dashboard_settings`` table, so every dashboard
instance uses the same ones; until an admin changes them, ``[web]`` in
ivr.toml gives them. Reads are cached for a second: the wallboard's event
streams ask on every poll.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import asdict, fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.calls.store.schema import dashboard_settings
from ivr.calls.store.upsert import upsert
from ivr.config import WebConfig
from ivr.live.board import Thresholds

NAME = "wallboard_thresholds"
#: What the form calls each field, for error messages.
LABELS = {"wait_amber_s": "longest wait, amber (seconds)",
          "wait_red_s": "longest wait, red (seconds)",
          "waiting_amber": "callers waiting, amber", "waiting_red": "callers waiting, red"}
#: Above these a threshold could never be reached on a real line (a typo, not a setting).
_MAX = {"wait_amber_s": 86_400, "wait_red_s": 86_400, "waiting_amber": 10_000,
        "waiting_red": 10_000}
CACHE_S = 1.0


class LimitsError(ValueError):
    """The thresholds given cannot be used (the message says which and why)."""


def parse(form: Mapping[str, object]) -> Thresholds:
    """Thresholds from the form's text fields, or :class:`LimitsError` naming every problem."""
    values: dict[str, float | int] = {}
    problems = []
    for f in fields(Thresholds):
        raw = str(form.get(f.name, "")).strip()
        whole = f.name.startswith("waiting")
        try:
            value: float | int = int(raw) if whole else float(raw)
        except ValueError:
            problems.append(f"{LABELS[f.name]}: give a {'whole ' if whole else ''}number")
            continue
        if not 0 < value <= _MAX[f.name]:  # also refuses nan
            problems.append(f"{LABELS[f.name]}: give a number above 0 and at most "
                            f"{_MAX[f.name]:,}")
            continue
        values[f.name] = value
    for amber, red in (("wait_amber_s", "wait_red_s"), ("waiting_amber", "waiting_red")):
        if amber in values and red in values and values[amber] >= values[red]:
            problems.append(f"{LABELS[amber]} must be below {LABELS[red]}")
    if problems:
        raise LimitsError("; ".join(problems))
    return Thresholds(**values)  # type: ignore[arg-type]


def from_config(web: WebConfig) -> Thresholds:
    """The thresholds ivr.toml gives (used until an admin sets others)."""
    return Thresholds(web.wallboard_wait_amber_s, web.wallboard_wait_red_s,
                      web.wallboard_waiting_amber, web.wallboard_waiting_red)


class WallboardLimits:
    """Reads and writes the stored thresholds."""

    def __init__(self, engine: AsyncEngine, default: Thresholds) -> None:
        self.engine = engine
        self.default = default
        self._cached: tuple[float, Thresholds] | None = None

    async def get(self) -> Thresholds:
        """The thresholds in force (stored, else the default)."""
        if self._cached is not None and time.monotonic() - self._cached[0] < CACHE_S:
            return self._cached[1]
        async with self.engine.connect() as conn:
            stored = (await conn.execute(select(dashboard_settings.c.value).where(
                dashboard_settings.c.name == NAME))).scalar_one_or_none()
        try:
            limits = parse(stored) if isinstance(stored, dict) else self.default
        except LimitsError:
            limits = self.default  # a row written by hand that does not hold
        self._cached = (time.monotonic(), limits)
        return limits

    async def set(self, limits: Thresholds, by: str) -> None:
        """Store *limits* (already checked by :func:`parse`) as set by user *by*."""
        values = {"name": NAME, "value": {k: str(v) for k, v in asdict(limits).items()},
                  "updated_at": dt.datetime.now(dt.UTC), "updated_by": by}
        async with self.engine.begin() as conn:
            await upsert(conn, dashboard_settings, "name", values)
        self._cached = None
