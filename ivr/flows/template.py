"""Prompt and URL templates: ``"Your balance is {balance.amount}"``.

A field is ``{name}`` or ``{name.field}``, optionally with a default after a
pipe, ``{tier|standard}`` (used when the variable is unset, so ``ivr validate``
accepts it on paths that never set it), or the readback marker
``{pin!readback}``: the one way a prompt may speak a sensitive value, digit by
digit, in a prompt that is played but never stored. Only dotted names are
allowed (no attribute access, indexing or format specs), so a template can
never reach Python objects; ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
READBACK = "readback"


class TemplateError(ValueError):
    """A template is malformed; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class Field:
    """One ``{…}`` of a template."""

    name: str
    #: Text used when the variable is unset (``{tier|standard}``); None: no default.
    default: str | None = None
    #: ``{pin!readback}``: speak this (sensitive) value on purpose, digit by digit.
    readback: bool = False


def parse(template: str) -> list[str | Field]:
    """Split *template* into literal text and fields, or raise :class:`TemplateError`."""
    return list(_parsed(template))


@lru_cache(maxsize=4096)
def _parsed(template: str) -> tuple[str | Field, ...]:
    """:func:`parse`, once per text: a flow's few templates are rendered on every call."""
    out: list[str | Field] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch in "{}" and template[i + 1 : i + 2] == ch:
            literal.append(ch)
            i += 2
            continue
        if ch == "}":
            raise TemplateError("single '}' in the text; write }} for a literal brace")
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = template.find("}", i)
        inner = template[i + 1 : end] if end != -1 else ""
        if end == -1 or "{" in inner:
            raise TemplateError("'{' is not closed; write {{ for a literal brace")
        if literal:
            out.append("".join(literal))
            literal = []
        out.append(_field(inner))
        i = end + 1
    if literal:
        out.append("".join(literal))
    return tuple(out)


def _field(inner: str) -> Field:
    name, pipe, default = inner.partition("|")
    name, bang, marker = name.partition("!")
    name = name.strip()
    if not _NAME_RE.match(name):
        raise TemplateError(f"{{{inner}}} is not a variable name; use {{name}}, "
                            "{name.field} or {name|default}")
    if bang and marker != READBACK:
        raise TemplateError(f"{{{inner}}}: the only marker is !{READBACK}, as in "
                            "{pin!readback}")
    if bang and pipe:
        raise TemplateError(f"{{{inner}}}: a readback has no default; write {{{name}!readback}}")
    return Field(name, default if pipe else None, readback=bool(bang))


def template_fields(template: str) -> list[Field]:
    """The fields of *template*, in order (raises :class:`TemplateError`)."""
    return [part for part in parse(template) if isinstance(part, Field)]


def fields_or_none(template: str) -> list[Field]:
    """The fields of *template*, or none when it is malformed (validate reports that)."""
    try:
        return template_fields(template)
    except TemplateError:
        return []


def fields(template: str) -> list[str]:
    """Return the variable names used in *template*, in order (duplicates kept).

    Raises :class:`TemplateError` for unbalanced braces or anything that is not
    a plain dotted name (with an optional default or readback marker).
    """
    return [f.name for f in template_fields(template)]


def root(name: str) -> str:
    """Return the variable a dotted name starts from: ``balance.amount`` -> ``balance``."""
    return name.split(".", 1)[0]


def covers(secret: str, name: str) -> bool:
    """True when reading *name* reads (part of) sensitive *secret*.

    ``card`` covers ``card.number`` and the other way round: the whole reply
    holds the secret field.
    """
    return name == secret or name.startswith(secret + ".") or secret.startswith(name + ".")


def is_sensitive(name: str, sensitive: Collection[str]) -> bool:
    """True when *name* reads any of the *sensitive* names or paths."""
    return any(covers(secret, name) for secret in sensitive)


def lookup(variables: Mapping[str, Any], name: str) -> Any:
    """Resolve a dotted *name* in nested mappings; ``None`` when any part is missing."""
    value: Any = variables
    for part in name.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def render(
    template: str,
    variables: Mapping[str, Any],
    escape: Callable[[str], str] = str,
    missing: str = "",
    hidden: Collection[str] = (),
) -> str:
    """Substitute variables; each value passes through *escape* (e.g. URL quoting).

    An unset variable renders as its default, else as *missing*, rather than
    failing a live call (:mod:`ivr.flows.validate` reports such variables
    before deployment). A variable in *hidden* (sensitive) renders as
    *missing* unless the field is a readback, which spells it out digit by digit.
    A malformed template (impossible after validation) renders as itself.
    """
    try:
        parts = parse(template)
    except TemplateError:
        return template
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = lookup(variables, part.name)
        if value is None:
            out.append(missing if part.default is None else part.default)
        elif part.readback:
            out.append(escape(" ".join(_text(value).replace(" ", ""))))
        elif is_sensitive(part.name, hidden):
            out.append(missing)
        else:
            out.append(escape(_text(value)))
    return "".join(out)


def url_value(text: str) -> str:
    """Percent-encode *text* for a URL template so it stays one value inside its segment.

    ``/`` ``?`` ``#`` and every other reserved character are encoded. A value made only of
    dots (``.`` or ``..``) is encoded as ``%2E`` too: left as it is, an HTTP client (or the
    server) would treat it as a dot segment and ``/api/acct/{account}/x`` with ``..`` would
    become ``/api/x``.
    """
    if text and text.strip(".") == "":
        return "%2E" * len(text)
    return quote(text, safe="")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
