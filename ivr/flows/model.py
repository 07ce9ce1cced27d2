"""The flow language: what ops staff may write in ``flows.yaml``.

:class:`FlowFile` is the whole file; :mod:`ivr.flows.nodes` has one schema per
node kind and :mod:`ivr.flows.parts` the shared pieces. Pydantic does the
structural checks (types, unknown keys); cross-references (targets, queues,
calendars, variables) are checked by :mod:`ivr.flows.validate` because they
need the whole file.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from ivr.flows.nodes import INPUT_KINDS, Node
from ivr.flows.parts import (
    Calendar,
    Condition,
    GlobalKeys,
    PromptField,
    PromptPart,
    PromptValue,
    Queue,
    Settings,
    Strict,
)

__all__ = [
    "INPUT_KINDS",
    "Calendar",
    "Condition",
    "Flow",
    "FlowFile",
    "GlobalKeys",
    "Node",
    "PromptField",
    "PromptPart",
    "PromptValue",
    "Queue",
    "Settings",
]


class Flow(Strict):
    """One entry point (``AGI(agi://host/<name>)``): a start node and its nodes."""

    description: str | None = None
    start: str
    language: str | None = None
    #: Variables the dialplan (or a caller of this flow) seeds before the start node.
    inputs: list[str] = Field(default_factory=list)
    nodes: dict[str, Annotated[Node, Field(discriminator="type")]]


class FlowFile(Strict):
    """The whole of ``flows.yaml`` (after includes are merged)."""

    version: int = 1
    include: list[str] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    queues: dict[str, Queue] = Field(default_factory=dict)
    flows: dict[str, Flow] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only 'version: 1' exists; remove the line or set it to 1")
        return value
