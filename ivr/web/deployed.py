"""The deployed flows file as the dashboard shows it: loaded, validated, drawn; cached by mtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ivr.flows.graph import render
from ivr.flows.graph_path import Hop
from ivr.flows.loader import LoadedFlowSet, load_flowset
from ivr.flows.problems import FlowErrors, Problem
from ivr.flows.validate import check


@dataclass(frozen=True)
class Deployed:
    """What the flows file holds right now."""

    path: Path
    flowset: LoadedFlowSet | None
    problems: list[Problem]
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Loaded with no errors (warnings allowed)."""
        return self.flowset is not None and not any(p.severity == "error"
                                                    for p in self.problems)


@dataclass
class DeployedFlows:
    """Loads the flows file when it changed since the last look; draws diagrams on demand."""

    path: Path
    _mtime: float | None = None
    _current: Deployed | None = None
    _images: dict[tuple[str, tuple[Hop, ...]], bytes] = field(default_factory=dict)

    async def current(self) -> Deployed:
        """The file's state (reloaded when its modification time moved)."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            return Deployed(self.path, None, [], f"cannot read {self.path}: {exc.strerror}")
        if self._current is None or mtime != self._mtime:
            self._current = await asyncio.to_thread(self._load)
            self._mtime = mtime
            self._images.clear()
        return self._current

    def _load(self) -> Deployed:
        try:
            flowset = load_flowset(self.path)
        except FlowErrors as exc:
            return Deployed(self.path, None, list(exc.problems))
        except OSError as exc:
            return Deployed(self.path, None, [], f"cannot read {self.path}: {exc}")
        return Deployed(self.path, flowset, check(flowset))

    async def diagram(self, flow: str, taken: tuple[Hop, ...] = ()) -> bytes | None:
        """SVG of *flow* with the edges a call *taken* lit, or None when it cannot be drawn."""
        deployed = await self.current()
        if deployed.flowset is None or flow not in deployed.flowset.flows:
            return None
        key = (flow, taken)
        if key not in self._images:
            if len(self._images) > 256:
                self._images.clear()
            flowset = deployed.flowset
            draw = partial(render, flowset, flow, "svg", taken=taken)
            self._images[key] = await asyncio.to_thread(draw)
        return self._images[key]
