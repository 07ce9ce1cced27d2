"""Short human texts for a flow picture: prompt excerpts, option and condition labels.

Plain text only; :mod:`ivr.flows.dot` escapes it for Graphviz.
"""

from __future__ import annotations

import textwrap

from ivr.flows import nodes as n
from ivr.flows.model import Condition, GlobalKeys, PromptField, PromptPart
from ivr.flows.nodes import Option

#: Prompt excerpts wrap at this width and stop after this many lines.
WRAP = 34
LINES = 3
#: At most this many phrases of an option are listed on its edge.
PHRASES = 3


def prompt_texts(field: PromptField | None, language: str, default_language: str) -> list[str]:
    """List the texts (or ``[file]`` names) of *field* in *language*, else the default one."""
    if field is None:
        return []
    out: list[str] = []
    for value in field if isinstance(field, list) else [field]:
        part: str | PromptPart | None
        if isinstance(value, dict):
            part = value.get(language) or value.get(default_language)
            if part is None and value:
                part = next(iter(value.values()))
        else:
            part = value
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, PromptPart):
            out.append(part.text if part.text is not None else f"[{part.file}]")
    return out


def excerpt(field: PromptField | None, language: str, default_language: str) -> str | None:
    """Quote and wrap the start of a prompt for a node label (``None`` when there is none)."""
    text = " ".join(" ".join(prompt_texts(field, language, default_language)).split())
    if not text:
        return None
    lines = textwrap.wrap(f"“{text}”", WRAP, break_long_words=True)
    if len(lines) > LINES:
        lines = lines[:LINES]
        lines[-1] = lines[-1][: WRAP - 1].rstrip() + "…"
    return "\n".join(lines)


def option_text(option: Option) -> str:
    """Edge label of a menu option: key, phrases, language switch."""
    lines = []
    if option.key is not None:
        lines.append(f"key {option.key}")
    if option.say:
        phrases = ", ".join(f"“{p}”" for p in option.say[:PHRASES])
        if len(option.say) > PHRASES:
            phrases += ", …"
        lines.extend(textwrap.wrap(("say " if option.key is None else "or ") + phrases, 26))
    if option.language:
        lines.append(f"language → {option.language}")
    return "\n".join(lines)


def keys_text(keys: GlobalKeys, operator_queue: str | None = None) -> str:
    """``0 operator · * repeat · # back`` (disabled keys left out)."""
    operator = f"operator (queue {operator_queue})" if operator_queue else "operator"
    named = [(keys.operator, operator), (keys.repeat, "repeat"), (keys.back, "back")]
    return " · ".join(f"{key} {what}" for key, what in named if key is not None)


#: How each condition field reads; ``{v}`` is its value, ``{var}`` the variable tested.
_CONDITION_TEXTS: tuple[tuple[str, str], ...] = (
    ("equals", "{var} = {v}"),
    ("not_equals", "{var} ≠ {v}"),
    ("one_of", "{var} in {v}"),
    ("matches", "{var} ~ /{v}/"),
    ("greater_than", "{var} > {v}"),
    ("less_than", "{var} < {v}"),
    ("caller", "caller ~ /{v}/"),
    ("language", "language = {v}"),
    ("open", "{v} open"),
    ("closed", "{v} closed"),
    ("agents_available", "{queue}: ≥ {v} agents free"),
    ("wait_below", "{queue}: wait < {v} s"),
)


def condition_text(when: Condition) -> str:
    """Write a branch case as a short condition ("office open", "balance.status = ok")."""
    tests = []
    for name, text in _CONDITION_TEXTS:
        value = getattr(when, name)
        if value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, float):
            value = f"{value:g}"
        tests.append(text.format(var=when.variable, queue=when.queue, v=value))
    if when.is_set is not None:
        tests.append(f"{when.variable} {'is set' if when.is_set else 'is not set'}")
    if when.variable is not None and not any(f"{when.variable} " in t for t in tests):
        tests.append(f"{when.variable} is set")
    if when.queue is not None and when.agents_available is None and when.wait_below is None:
        tests.append(f"queue {when.queue}")
    return "\n".join(tests)


def set_lines(node: n.Set) -> list[str]:
    """The lines a set node shows: its first assignments and the language."""
    lines = [f"set {key} = {value}" for key, value in list(node.variables.items())[:3]]
    if len(node.variables) > 3:
        lines.append(f"… and {len(node.variables) - 3} more")
    if node.language:
        lines.append(f"language = {node.language}")
    return lines or ["set"]

def queue_lines(node: n.QueueNode) -> list[str]:
    """The lines a queue node shows: queue, priority, wait and callback offer."""
    lines = [f"queue {node.queue}"]
    extras = []
    if node.priority is not None:
        extras.append(f"priority {node.priority}")
    if node.max_wait is not None:
        extras.append(f"max wait {node.max_wait} s")
    if extras:
        lines.append(" · ".join(extras))
    if node.callback is not None:
        lines.append(f"offers callback after {node.callback.when_wait_over:g} s")
    return lines


def short_url(url: str) -> str:
    """Host-less path of a lookup URL (the host is noise in a picture)."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else rest
    return path if len(path) <= 40 else path[:39] + "…"
