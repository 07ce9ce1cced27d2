"""Prompt and URL templates: ``"Your balance is {balance.amount}"``.

Only dotted variable names are allowed inside braces (no attribute access,
indexing or format specs), so a template can never reach Python objects;
``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template is malformed; the message says where and how to fix it."""


def fields(template: str) -> list[str]:
    """Return the variable names used in *template*, in order (duplicates kept).

    Raises :class:`TemplateError` for unbalanced braces or anything that is not
    a plain dotted name.
    """
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(f"{exc}; write {{{{ and }}}} for literal braces") from exc
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not _NAME_RE.match(name):
            raise TemplateError(
                f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                " is not a variable name; use {name} or {name.field}"
            )
        names.append(name)
    return names


def root(name: str) -> str:
    """Return the variable a dotted name starts from: ``balance.amount`` -> ``balance``."""
    return name.split(".", 1)[0]


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
) -> str:
    """Substitute variables; each value passes through *escape* (e.g. URL quoting).

    A missing variable renders as *missing* rather than failing a live call;
    :mod:`ivr.flows.validate` reports such variables before deployment.
    """
    out: list[str] = []
    for literal, name, _spec, _conv in _FORMATTER.parse(template):
        out.append(literal)
        if name is not None:
            value = lookup(variables, name)
            out.append(missing if value is None else escape(_text(value)))
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
