"""A loaded flow set that remembers where each part was written (what the checks read).

Its own module so the checks (:mod:`ivr.flows.checks`) and the loader that runs them
both depend on it, and not on each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.flowset import FlowSet
from ivr.flows.yamlread import Positions


@dataclass(frozen=True)
class LoadedFlowSet(FlowSet):
    """A FlowSet that remembers where each part was written (for validation messages)."""

    positions: Positions = field(default_factory=Positions)
    #: Where ``file:`` prompts live; ``None`` means ``recordings/`` beside the main file.
    recordings_dir: Path | None = None
