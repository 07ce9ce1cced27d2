"""A loaded, validated set of flows: what the engine runs and a call record names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.model import Flow, FlowFile, Settings


@dataclass(frozen=True)
class FlowSet:
    """The merged document plus where it came from.

    ``version`` is a short hash of every source file's text, so a call record
    names exactly the flows it ran and a reload that changes nothing is a no-op.
    """

    document: FlowFile
    version: str
    sources: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def flows(self) -> dict[str, Flow]:
        """Flows by name (the FastAGI request path picks one)."""
        return self.document.flows

    @property
    def settings(self) -> Settings:
        """File-wide defaults."""
        return self.document.settings
