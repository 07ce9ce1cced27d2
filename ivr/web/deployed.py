"""The deployed flows as the dashboard shows them: loaded, validated, drawn.

Cached until the main file or any file it includes changes (the stamp the service's
reload compares too), so an edit to an included file shows at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ivr.flows.graph import render
from ivr.flows.graph_path import Hop
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.loader import Stamp, files_stamp, load_flowset
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
    _stamp: Stamp | None = None
    _current: Deployed | None = None
    _images: dict[tuple[str, tuple[Hop, ...]], bytes] = field(default_factory=dict)

    async def current(self) -> Deployed:
        """The flows' state (reloaded when the main file or an included one changed)."""
        try:
            self.path.stat()
        except OSError as exc:
            return Deployed(self.path, None, [], f"cannot read {self.path}: {exc.strerror}")
        stamp = await asyncio.to_thread(files_stamp, self.path, self._sources())
        if self._current is None or stamp != self._stamp:
            self._current = await asyncio.to_thread(self._load)
            self._stamp = await asyncio.to_thread(files_stamp, self.path, self._sources())
            self._images.clear()
        return self._current

    def _sources(self) -> set[Path]:
        # The files the last load read; after a failed load, the files its problems name.
        deployed = self._current
        if deployed is None:
            return set()
        if deployed.flowset is not None:
            return set(deployed.flowset.sources)
        return {Path(p.file) for p in deployed.problems}

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
