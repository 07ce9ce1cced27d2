"""Whole-file checks the schema cannot make: targets, references, reachability, loops, variables.

Each rule is a function yielding :class:`Problem` values with the position
of the offending key, so ``ivr validate`` and a live reload report the same
``FILE:LINE:COL`` lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ivr.flows.checks import (
    calendar,
    callbacks,
    references,
    split,
    structure,
    taint,
    variables,
)
from ivr.flows.loaded import LoadedFlowSet
from ivr.flows.problems import Problem

Rule = Callable[[LoadedFlowSet], Iterator[Problem]]

RULES: tuple[Rule, ...] = (
    calendar.calendars,
    references.targets,
    references.queues_and_calendars,
    references.languages,
    references.builtin_prompts,
    references.lookup_urls,
    references.recording_files,
    structure.duplicate_keys,
    structure.unreachable,
    structure.input_free_cycles,
    variables.unset_variables,
    taint.leaks,
    callbacks.callback_references,
    split.splits,
)


def check(flowset: LoadedFlowSet) -> list[Problem]:
    """Run every rule; return all problems (errors and warnings), sorted by place."""
    return sorted(p for rule in RULES for p in rule(flowset))
