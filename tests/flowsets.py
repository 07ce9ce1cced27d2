"""Flow sets for tests: the shipped example, and small ones written inline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ivr.flows.flowset import FlowSet
from ivr.flows.model import FlowFile

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "flows.yaml"


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
