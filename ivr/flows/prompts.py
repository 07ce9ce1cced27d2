"""Turn a prompt field from YAML into the concrete prompts a call plays.

Picks the call's language (falling back to the file's default language, then
to the first variant given), the voice for that language, and renders
``{variables}``. A prompt that reads back a sensitive variable is marked
sensitive so no record or log ever holds its text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ivr.flows.effects import Prompt
from ivr.flows.parts import BuiltinText, PromptField, PromptPart, PromptValue, Settings
from ivr.flows.template import fields_or_none, is_sensitive, render


def resolve(
    field: PromptField | None,
    language: str,
    settings: Settings,
    variables: Mapping[str, Any],
    sensitive: Collection[str] = (),
) -> tuple[Prompt, ...]:
    """Return the prompts *field* stands for in *language* (empty for ``None``)."""
    if field is None:
        return ()
    values: list[PromptValue] = field if isinstance(field, list) else [field]
    out: list[Prompt] = []
    for value in values:
        if isinstance(value, BuiltinText):
            value = value.merged(settings.prompts.get(value.name))
        part = _pick_language(value, language, settings.default_language)
        if part is None:
            continue
        out.append(_prompt(part, language, settings, variables, sensitive))
    return tuple(out)


def _pick_language(value: PromptValue, language: str, default: str) -> str | PromptPart | None:
    if isinstance(value, (str, PromptPart)):
        return value
    for lang in (language, default, "en"):
        if lang in value:
            return value[lang]
    return next(iter(value.values()), None)


def _prompt(
    part: str | PromptPart,
    language: str,
    settings: Settings,
    variables: Mapping[str, Any],
    sensitive: Collection[str],
) -> Prompt:
    if isinstance(part, str):
        part = PromptPart(text=part)
    if part.file is not None:
        return Prompt(file=part.file, language=language)
    text = part.text or ""
    # A voice named on the part wins: "Para español, oprima 2." stays Spanish in an English menu.
    voice = part.voice or settings.voices.get(language)
    # Sensitive values render only through {name!readback}; anywhere else they stay
    # silent (validate refuses such prompts, this is the run-time guard).
    secret = any(is_sensitive(f.name, sensitive) for f in fields_or_none(text))
    return Prompt(
        text=render(text, variables, hidden=sensitive),
        language=_voice_language(part.voice, settings) or language,
        voice=voice,
        sensitive=secret,
    )


def _voice_language(voice: str | None, settings: Settings) -> str | None:
    """The language a named voice belongs to, so a Spanish line in an English menu is Spanish."""
    if voice is None:
        return None
    for lang, name in settings.voices.items():
        if name == voice:
            return lang
    return voice if voice in settings.languages else None


def builtin_text(name: str, language: str, settings: Settings) -> str:
    """Built-in prompt *name* in *language* (the flow's own text first), as a template."""
    texts = BuiltinText(name).merged(settings.prompts.get(name))
    part = _pick_language(texts, language, settings.default_language)
    if isinstance(part, PromptPart):
        return part.text or ""
    return part or ""
