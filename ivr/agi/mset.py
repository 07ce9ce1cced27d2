"""Several channel variables in one AGI command: ``EXEC MSet``.

A call handed back to the dialplan carries eight or so variables (outcome,
queue, priority, path…). Each ``SET VARIABLE`` is a round trip that Asterisk
parses and answers and the service writes and reads: eight of a DTMF call's
eleven AGI commands, and about a fifth of the service's busy time at 1,000
callers (docs/telephony.md). Asterisk's ``MSet`` application sets up to 99
``name=value`` pairs at once, so they travel as one command.

``MSet`` parses its argument with Asterisk's application-argument rules
(``ast_app_separate_args``): pairs split at commas outside double quotes and
outside parentheses or brackets, quotes and backslashes are removed, and a
pair splits at its first ``=``. Each value is therefore quoted (a path such as
``welcome,help_menu,support`` keeps its commas), and only values without
quotes, backslashes, parentheses, brackets, ``$`` (which the ``AGIEXECFULL``
channel option would expand) or control characters go this way; any other
value keeps its own ``SET VARIABLE``, which carries every character exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.agi.protocol import MAX_COMMAND_BYTES, LocalProtocolError, encode_command

#: ``MSet`` parses at most this many pairs (``AST_APP_ARG(pair)[99]`` in pbx_variables.c).
MAX_PAIRS = 99
#: What ``ast_app_separate_args`` or variable substitution would read as syntax.
_UNSAFE = re.compile(r'["\\()\[\]$\x00-\x1f\x7f]')
#: One pair as :func:`plan_handoff` writes it (its values hold no quotes).
_PAIR = re.compile(r'([A-Za-z0-9_]+)="([^"]*)"(?:,|$)')


@dataclass(frozen=True, slots=True)
class Handoff:
    """How a set of channel variables travels: ``MSet`` arguments, then the rest one by one."""

    batches: tuple[str, ...] = ()
    singles: dict[str, str] = field(default_factory=dict)


def batchable(value: str) -> bool:
    """True when *value* reaches the channel unchanged inside a quoted ``MSet`` pair."""
    return _UNSAFE.search(value) is None


def plan_handoff(values: Mapping[str, str]) -> Handoff:
    """Group *values* into ``MSet`` arguments that fit one AGI line each.

    Fewer than two batchable values gain nothing from ``MSet``: they stay
    single, as do values that are not :func:`batchable`, and a value too long
    to share a line. Names must already be plain channel-variable names.
    """
    batchable_pairs = [(n, v) for n, v in values.items() if batchable(v)]
    if len(batchable_pairs) < 2:
        return Handoff((), dict(values))
    singles = {n: v for n, v in values.items() if not batchable(v)}
    groups: list[list[tuple[str, str]]] = []
    for name, value in batchable_pairs:
        last = groups[-1] if groups else None
        if last is not None and len(last) < MAX_PAIRS and _fits([*last, (name, value)]):
            last.append((name, value))
        elif _fits([(name, value)]):
            groups.append([(name, value)])
        else:
            singles[name] = value
    for group in [g for g in groups if len(g) == 1]:
        singles.update(group)
    return Handoff(tuple(_data(g) for g in groups if len(g) > 1), singles)


def _data(pairs: list[tuple[str, str]]) -> str:
    return ",".join(f'{name}="{value}"' for name, value in pairs)


def _fits(pairs: list[tuple[str, str]]) -> bool:
    try:
        return len(encode_command("EXEC", "MSet", _data(pairs))) <= MAX_COMMAND_BYTES
    except LocalProtocolError:  # longer than Asterisk's buffer, or not encodable: not here
        return False


def handoff_pairs(data: str) -> dict[str, str]:
    """Read back an ``MSet`` argument :func:`plan_handoff` wrote (for peers playing Asterisk)."""
    return dict(_PAIR.findall(data))
