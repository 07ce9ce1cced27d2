"""Every prompt a flow set can play, per language: what ``ivr prompts build`` synthesises.

:func:`resolve` is the one rule for turning a YAML prompt field into the
:class:`~ivr.flows.effects.Prompt` values to play in a language, so the audio
built ahead of time has exactly the name a live call asks for:

- a per-language mapping picks the call's language, else the default
  language's entry (then spoken in the default language, with its voice);
- the voice is the part's own ``voice:``, else ``settings.voices[language]``,
  else ``None`` (espeak-ng's voice for the language code);
- ``file:`` parts stay recordings; plain strings are spoken in the call's language.

Prompt fields are found by their schema type, so a node kind added later
with a new prompt field is catalogued without touching this module.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from ivr.flows.effects import Prompt
from ivr.flows.flowset import FlowSet
from ivr.flows.model import PromptField, PromptPart, Settings
from ivr.flows.template import TemplateError, fields, render
from ivr.prompts.audio import audio_name


@dataclass(frozen=True, slots=True)
class Entry:
    """One distinct prompt audio and every place (``flow.node.field``) that plays it."""

    prompt: Prompt
    where: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The prompts of a flow set, split by how their audio comes to be."""

    #: Fixed text: synthesised ahead of time by ``ivr prompts build``.
    static: tuple[Entry, ...]
    #: Text with ``{variables}``: synthesised during the call, once the values are known.
    dynamic: tuple[Entry, ...]
    #: ``file:`` recordings (relative to recordings/), made by people, not by us.
    files: tuple[Entry, ...]
    #: Prompts that cannot be catalogued (malformed templates), as ``where: why``.
    problems: tuple[str, ...] = ()


def resolve(field: PromptField, language: str, settings: Settings) -> tuple[Prompt, ...]:
    """Return the prompts *field* plays for a call in *language* (templates not rendered)."""
    out: list[Prompt] = []
    for value in field if isinstance(field, list) else [field]:
        lang = language
        part: str | PromptPart | None
        if isinstance(value, dict):
            part = value.get(language)
            if part is None:
                lang = settings.default_language
                part = value.get(lang)
            if part is None:
                continue  # a language nobody wrote: the validator reports it
        else:
            part = value
        if isinstance(part, str):
            out.append(Prompt(text=part, language=lang, voice=settings.voices.get(lang)))
        elif part.file is not None:
            out.append(Prompt(file=part.file, language=lang, voice=part.voice))
        else:
            voice = part.voice or settings.voices.get(lang)
            out.append(Prompt(text=part.text, language=lang, voice=voice))
    return tuple(out)


def build_catalog(flowset: FlowSet) -> Catalog:
    """Walk every prompt field of *flowset* in every language it may be played in."""
    settings = flowset.settings
    static, dynamic, files = _Found(), _Found(), _Found()
    problems: list[str] = []

    def add(where: str, field: PromptField, languages: list[str]) -> None:
        for language in languages:
            for prompt in resolve(field, language, settings):
                if prompt.file is not None:
                    files.add(prompt.file, prompt, where)
                    continue
                text = prompt.text or ""
                try:
                    names = fields(text)
                except TemplateError as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if names:
                    dynamic.add((text, prompt.language, prompt.voice), prompt, where)
                else:
                    # ``{{``/``}}`` are literal braces: the engine says the rendered text.
                    spoken = render(text, {})
                    static.add(
                        audio_name(spoken, prompt.voice, prompt.language),
                        Prompt(text=spoken, language=prompt.language, voice=prompt.voice),
                        where,
                    )

    languages = list(dict.fromkeys(settings.languages or [settings.default_language]))
    for where, field in prompt_fields(settings, "settings"):
        add(where, field, languages)
    for flow_name, flow in flowset.flows.items():
        extra = [flow.language] if flow.language else []
        flow_languages = list(dict.fromkeys([*languages, *extra]))
        for node_name, node in flow.nodes.items():
            for where, field in prompt_fields(node, f"{flow_name}.{node_name}"):
                add(where, field, flow_languages)
    return Catalog(
        static=static.entries(), dynamic=dynamic.entries(), files=files.entries(),
        problems=tuple(problems),
    )


def prompt_fields(model: BaseModel, where: str) -> Iterator[tuple[str, PromptField]]:
    """Yield ``(where.field, value)`` for every set prompt field of *model*, nested ones too."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        if _is_prompt_field(type(model), name):
            yield f"{where}.{name}", value
        elif isinstance(value, BaseModel):
            yield from prompt_fields(value, f"{where}.{name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from prompt_fields(item, f"{where}.{name}[{i}]")


@functools.cache
def _is_prompt_field(model: type[BaseModel], name: str) -> bool:
    return _mentions_prompt_part(model.model_fields[name].annotation)


def _mentions_prompt_part(annotation: object) -> bool:
    if annotation is PromptPart:
        return True
    return any(_mentions_prompt_part(arg) for arg in typing.get_args(annotation))


class _Found:
    """Distinct prompts by key, each with the places that play it (in first-seen order)."""

    def __init__(self) -> None:
        self._items: dict[Hashable, tuple[Prompt, list[str]]] = {}

    def add(self, key: Hashable, prompt: Prompt, where: str) -> None:
        self._items.setdefault(key, (prompt, []))[1].append(where)

    def entries(self) -> tuple[Entry, ...]:
        return tuple(
            Entry(prompt=prompt, where=tuple(dict.fromkeys(where)))
            for prompt, where in self._items.values()
        )
