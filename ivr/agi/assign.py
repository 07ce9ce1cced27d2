"""Several channel variables in one AGI command: ``SET VARIABLE ARRAY(A,B,…) "a,b,…"``.

A hand-off sets eight or more variables, and each ``SET VARIABLE`` is a round trip that
wakes the channel's thread in Asterisk and the service's event loop: profiled under load,
they were a sixth of the service's main thread (issue 16). Asterisk's ``ARRAY()`` function
(func_strings) sets every name of its list to the matching item of the value, through the
same ``pbx_builtin_setvar_helper`` that ``SET VARIABLE`` calls, so the channel ends up the
same.

``ARRAY()`` splits the value with Asterisk's application-argument splitter, which gives
quotes, backslashes, parentheses and brackets meanings of their own. Only values made of
characters it leaves alone are packed (:data:`PLAIN`); a value holding a comma is packed
inside double quotes, which the splitter keeps together and then removes. Everything else
(free text, a caller's words, anything not ASCII) is set by itself with ``SET VARIABLE``,
exactly as before. ``tests/agi/test_asterisk_assign.py`` reads every packed value back
from a real Asterisk 22.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: What a packed value may hold: nothing Asterisk's argument splitter reads specially
#: (``"`` ``\\`` ``(`` ``)`` ``[`` ``]``), ASCII only, and no blank: the values a hand-off
#: packs have none, and a blank at an item's edge was not checked against every Asterisk.
PLAIN: Final = re.compile(r"[A-Za-z0-9_.:@/+=*#-]*")
#: A comma is fine inside quotes; the item is quoted only when it needs to be.
PLAIN_WITH_COMMAS: Final = re.compile(r"[A-Za-z0-9_.:@/+=*#,-]*")
#: ``ARRAY()`` takes at most this many names (``AST_APP_ARG(var)[100]``).
MAX_NAMES: Final = 100
#: Packed command lines stay well inside Asterisk's AGI buffer (8 KiB).
MAX_PACKED_BYTES: Final = 2048


@dataclass(frozen=True, slots=True)
class Assignments:
    """How to set a set of variables: at most one packed pair, and the rest one by one."""

    #: ``(name, value)`` for one ``SET VARIABLE``: ``("ARRAY(A,B)", "a,b")``, or ``None``.
    packed: tuple[str, str] | None = None
    #: Variables that could not be packed, in their original order.
    single: dict[str, str] = field(default_factory=dict)


def _item(value: str) -> str | None:
    """The value as an ``ARRAY()`` item, or ``None`` when it cannot travel in one."""
    if PLAIN.fullmatch(value):
        return value
    if PLAIN_WITH_COMMAS.fullmatch(value):
        return f'"{value}"'
    return None


def plan_assignments(values: Mapping[str, str]) -> Assignments:
    """Split *values* into one ``ARRAY()`` assignment and the ones that must go alone.

    Names are assumed checked (plain channel-variable names). Fewer than two packable
    values are not worth an ``ARRAY()``: they go alone.
    """
    names: list[str] = []
    items: list[str] = []
    single: dict[str, str] = {}
    size = len("SET VARIABLE ARRAY() ")
    for name, value in values.items():
        item = _item(value)
        # Two commas, and room for quote_argument's escapes of a quoted item.
        cost = len(name) + len(item) + 6 if item is not None else 0
        if item is None or len(names) == MAX_NAMES or size + cost > MAX_PACKED_BYTES:
            single[name] = value
            continue
        names.append(name)
        items.append(item)
        size += cost
    if len(names) < 2:
        return Assignments(None, dict(values))
    return Assignments((f"ARRAY({','.join(names)})", ",".join(items)), single)


def split_like_array(value: str) -> list[str]:
    """Split an ``ARRAY()`` value as Asterisk's argument splitter does (the demo line, tests).

    A comma splits outside quotes, parentheses and brackets (counted even inside quotes);
    quotes and backslashes are removed, a backslash keeping the character after it.
    """
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    paren = bracket = 0
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not (quoted or paren or bracket):
            items.append("".join(current))
            current = []
        else:
            paren += (ch == "(") - (ch == ")" and paren > 0)
            bracket += (ch == "[") - (ch == "]" and bracket > 0)
            current.append(ch)
    items.append("".join(current))
    return items


def read_packed(name: str, value: str) -> dict[str, str]:
    """What ``SET VARIABLE name value`` sets: one variable, or each of an ``ARRAY()``'s.

    For peers that stand in for Asterisk (``ivr demo``'s lines, the tests' phones).
    """
    if not (name.startswith("ARRAY(") and name.endswith(")")):
        return {name: value}
    names = name[len("ARRAY("):-1].split(",")
    items = split_like_array(value)
    return {n: items[i] if i < len(items) else "" for i, n in enumerate(names)}
