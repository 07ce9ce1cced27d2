"""The state one call carries through its flow, and how steps change it.

Steps (one module per node kind) read and write a :class:`CallState`; the
engine owns the loop. Everything that enters the call record passes through
here, so masking sensitive values happens in one place.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.calls.record import CallRecord, TimelineEntry, TimelineKind
from ivr.flows.effects import Outcome, Prompt
from ivr.flows.flowset import FlowSet
from ivr.flows.model import Flow
from ivr.flows.nodes import Node
from ivr.flows.parts import PromptField
from ivr.flows.prompts import resolve
from ivr.flows.template import root

SENSITIVE = "[sensitive]"


@dataclass
class CallState:
    """Mutable per-call state: where the caller is, what they gave, what happened."""

    flowset: FlowSet
    flow_name: str
    node_name: str
    language: str
    record: CallRecord
    now: dt.datetime
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    #: Menus the caller came through, for the "back" key.
    menu_stack: list[tuple[str, str]] = field(default_factory=list)
    queue_state: dict[str, Any] = field(default_factory=dict)
    _undrained: int = 0

    @property
    def flow(self) -> Flow:
        """The flow the caller is in now (changes on ``goto``)."""
        return self.flowset.flows[self.flow_name]

    @property
    def node(self) -> Node:
        """The node the caller is at now."""
        return self.flow.nodes[self.node_name]

    def note(self, kind: TimelineKind, data: dict[str, Any] | None = None) -> None:
        """Append a timeline entry at the current node and time."""
        self.record.timeline.append(TimelineEntry(self.now, kind, self.node_name, data or {}))

    def drain(self) -> list[TimelineEntry]:
        """Return timeline entries not drained before."""
        fresh = self.record.timeline[self._undrained :]
        self._undrained = len(self.record.timeline)
        return fresh

    def prompts(self, field_: PromptField | None) -> tuple[Prompt, ...]:
        """Resolve a prompt field for this call, noting each prompt on the timeline."""
        out = resolve(field_, self.language, self.flowset.settings, self.variables, self.sensitive)
        for p in out:
            shown = SENSITIVE if p.sensitive else p.text
            self.note("prompt", {"text": shown, "file": p.file, "language": p.language})
        return out

    def set_variable(
        self, name: str, value: Any, *, sensitive: bool = False, secret_paths: Iterable[str] = ()
    ) -> None:
        """Set a flow variable; sensitive values are remembered as such and never recorded.

        *secret_paths* are dotted names inside the value (``card.number``) that
        are sensitive while the rest of it may be stored and shown.
        """
        self.variables[name] = value
        self.sensitive = {s for s in self.sensitive if root(s) != name}
        if sensitive:
            self.sensitive.add(name)
        self.sensitive.update(p for p in secret_paths if root(p) == name)
        self.note("variable_set", {"name": name, "value": self._shown(name, value)})

    def _shown(self, name: str, value: Any) -> str:
        """*value* as it may be stored: sensitive parts replaced by ``[sensitive]``."""
        if name in self.sensitive:
            return SENSITIVE
        inner = [s.split(".")[1:] for s in self.sensitive if root(s) == name and "." in s]
        if inner:
            value = _redact(value, inner)
        return _short(value)

    def set_language(self, language: str) -> None:
        """Switch the language prompts are played in."""
        self.language = language
        self.variables["language"] = language
        self.record.language = language
        self.note("language_set", {"language": language})

    def public_variables(self) -> dict[str, str]:
        """Variables safe to store and to show an agent: no sensitive ones, as text."""
        return {
            name: self._shown(name, value)
            for name, value in self.variables.items()
            if name not in self.sensitive
        }

    def finish(self, outcome: Outcome) -> None:
        """Close the record with *outcome*."""
        rec = self.record
        rec.ended_at = self.now
        rec.outcome = outcome.kind
        rec.outcome_node = outcome.node
        rec.queue = outcome.queue
        rec.transfer_target = outcome.target
        rec.variables = self.public_variables()
        self.note(
            "outcome",
            {"kind": outcome.kind, "queue": outcome.queue, "target": outcome.target,
             "reason": outcome.reason},
        )


def _redact(value: Any, paths: list[list[str]]) -> Any:
    """A copy of *value* with each path (keys into nested mappings) replaced by [sensitive]."""
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for path in paths:
        if not path or path[0] not in out:
            continue
        out[path[0]] = (SENSITIVE if len(path) == 1
                        else _redact(out[path[0]], [path[1:]]))
    return out


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
