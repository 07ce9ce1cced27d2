"""Reading YAML while keeping where every key and value was written.

YAML is composed into nodes first so every key and value keeps its
``line:column``; whatever PyYAML cannot read (a syntax error, a date like
2026-02-30, an unknown tag) becomes a :class:`Problem` with a hint in ops
staff's words ("indentation", "tab", "quote it"), never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ivr.flows.problems import Problem

#: A path into the document: keys and list indexes from the top.
DocPath = tuple[str | int, ...]
_KEY = "<key>"


@dataclass(frozen=True, slots=True)
class Mark:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int
    col: int


@dataclass
class Positions:
    """Marks of every value (and every mapping key) in the merged document."""

    values: dict[DocPath, Mark] = field(default_factory=dict)
    keys: dict[DocPath, Mark] = field(default_factory=dict)

    def value(self, path: DocPath) -> Mark:
        """The mark of the value at *path*, or of its closest written ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Mark("?", 1, 1))

    def key(self, path: DocPath) -> Mark:
        """The mark of the key naming *path* (falls back to the value)."""
        return self.keys.get(path) or self.value(path)


def parse_text(
    text: str, filename: str, positions: Positions, problems: list[Problem], prefix: DocPath
) -> Any:
    """Plain data from *text*, marks into *positions*; syntax errors go to *problems*."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # An alias/anchor error is noticed after the '*' or '&': point at the character itself.
        anchor = exc.context and ("alias" in exc.context or "anchor" in exc.context)
        mark = (exc.context_mark if anchor else None) or exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        problems.append(Problem(filename, line, col, f"YAML syntax: {what}",
                                yaml_hint(what, exc.context, _line(text, line))))
        return None
    except yaml.YAMLError as exc:  # e.g. a control character: the reader has no mark
        where = getattr(exc, "position", 0) or 0
        line = text.count("\n", 0, where) + 1
        problems.append(Problem(filename, line, 1, f"YAML syntax: {exc}",
                                "remove control characters; save the file as UTF-8 text"))
        return None
    if root is None:
        return None
    return _build(root, filename, positions, problems, prefix)


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def yaml_hint(problem: str, context: str | None, line: str) -> str:
    """What to do about a YAML syntax error, in ops staff's words."""
    indent = line[: len(line) - len(line.lstrip())]
    if "\t" in indent or "'\\t'" in problem:
        return "YAML does not allow a tab for indentation: indent with spaces, not tabs"
    if context and ("alias" in context or "anchor" in context):
        return ("'*' and '&' start YAML aliases and anchors: quote it, "
                "e.g. \"*\": repeat or key: \"*\"")
    if "cannot start any token" in problem:
        return "YAML gives this character a meaning at the start of a value: quote it"
    if "mapping values are not allowed" in problem:
        return ("check the indentation, and quote it if the text contains ': ' "
                "(prompt: \"Press 1: sales\")")
    if "block end" in problem or "expected key" in problem or "'-' indicator" in problem:
        return ("check the indentation: keys of one mapping must start in the same column, "
                "with spaces")
    if "found unexpected end of stream" in problem or "quoted scalar" in (context or ""):
        return "a quote is not closed: end the text with the same quote it starts with"
    return "check quotes, colons and indentation around here; quote text with special characters"


_CONSTRUCTOR = yaml.SafeLoader("")  # only its scalar construction is used


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SURPRISING_NUMBER = re.compile(r"[:_]|^[-+]?0[0-9xob]")


def _construct(
    node: yaml.Node, filename: str, problems: list[Problem]
) -> tuple[bool, Any]:
    """Build one scalar; a value YAML cannot build (2026-02-30, !tag) is a Problem."""
    if node.tag in _NUMBER_TAGS and _SURPRISING_NUMBER.search(str(node.value)):
        # YAML 1.1 reads 0123 as octal 83 and 12:30 as 750 (base 60): keep what was written,
        # so `equals: 0123` compares with the keys the caller pressed; numeric fields still
        # accept the text.
        return True, str(node.value)
    try:
        return True, _CONSTRUCTOR.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        value = getattr(node, "value", "")
        if node.tag == "tag:yaml.org,2002:timestamp":
            problems.append(Problem(filename, line, col,
                                    f"{value} is not a calendar date ({exc})",
                                    "check the day and month: write YYYY-MM-DD, e.g. 2026-02-28"))
        else:
            what = getattr(exc, "problem", None) or str(exc)
            problems.append(Problem(filename, line, col, f"cannot read {value!r}: {what}",
                                    "quote it if it is meant as text"))
        return False, None


def _build(
    node: yaml.Node, filename: str, positions: Positions, problems: list[Problem], path: DocPath
) -> Any:
    positions.values[path] = Mark(filename, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        try:
            _CONSTRUCTOR.flatten_mapping(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or node.start_mark
            problems.append(Problem(filename, mark.line + 1, mark.column + 1,
                                    f"YAML merge: {getattr(exc, 'problem', exc)}",
                                    "'<<:' merges a mapping (or a list of mappings) only"))
            return {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_mark = Mark(filename, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(filename, key_mark.line, key_mark.col,
                                        "a key must be plain text, not a list or mapping",
                                        "check the indentation, or quote it"))
                continue
            ok, key = _construct(key_node, filename, problems)
            if not ok:
                continue
            key = str(key) if isinstance(key, int | float | dt.date) and \
                not isinstance(key, bool) else key
            child = (*path, key)
            if key in out:
                problems.append(Problem(filename, key_mark.line, key_mark.col,
                                        f"key {key!r} appears twice in this mapping",
                                        "YAML keeps only the last one; remove the other"))
            positions.keys[child] = key_mark
            out[key] = _build(value_node, filename, positions, problems, child)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, filename, positions, problems, (*path, i))
                for i, item in enumerate(node.value)]
    return _construct(node, filename, problems)[1]
