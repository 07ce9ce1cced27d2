"""Pieces of the flow language shared by nodes and the file.

Prompts, global keys, settings, calendars, queues and branch conditions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ivr.flows.builtin_prompts import BUILTIN_PROMPTS

#: A DTMF key as written in YAML; quoted or not, ``1`` and ``"1"`` mean the same.
DTMF_KEYS = "0123456789*#"


class Strict(BaseModel):
    """Base of every schema: unknown keys are errors (with "did you mean" from the validator)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def dtmf_key(value: Any) -> str:
    """Normalise a YAML key (``1``, ``"1"``, ``"*"``) to a one-character DTMF string."""
    text = str(value)
    if len(text) != 1 or text not in DTMF_KEYS:
        raise ValueError(f"{value!r} is not a phone key; use one of 0-9, * or #")
    return text


class PromptPart(Strict):
    """One piece of audio: synthesised ``text`` or a recorded ``file`` (relative to recordings/)."""

    text: str | None = None
    file: str | None = None
    voice: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PromptPart:
        if (self.text is None) == (self.file is None):
            raise ValueError("a prompt needs exactly one of 'text' or 'file'")
        return self


#: ``"Hello"``, ``{file: hello.wav}``, or per-language ``{en: "Hello", es: "Hola"}``.
# left_to_right: in pydantic's default "smart" mode a mapping input matches the dict
# exactly, so ``{text: …, voice: es}`` would become a language map named "text".
PromptValue = Annotated[
    str | PromptPart | dict[str, str | PromptPart], Field(union_mode="left_to_right")
]
#: A prompt field accepts one value or a list played in order.
PromptField = PromptValue | list[PromptValue]


class BuiltinText(dict[str, str | PromptPart]):
    """A built-in prompt's texts by language; ``settings.prompts`` may override or add languages.

    Used as the default of prompt fields, so a flow that says nothing hears the
    built-in in the call's language.
    """

    def __init__(self, name: str) -> None:
        super().__init__(BUILTIN_PROMPTS[name])
        self.name = name

    def merged(self, overrides: dict[str, str] | None) -> dict[str, str | PromptPart]:
        """These texts with the flow's own (from ``settings.prompts``) winning."""
        return {**self, **(overrides or {})}


def builtin(name: str) -> BuiltinText:
    """The built-in prompt *name* (a key of :data:`BUILTIN_PROMPTS`) as a field default."""
    return BuiltinText(name)


class GlobalKeys(Strict):
    """Keys that work in every menu unless the node overrides them; ``null`` disables one."""

    operator: str | None = "0"
    repeat: str | None = "*"
    back: str | None = "#"

    @field_validator("operator", "repeat", "back", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str | None:
        return None if value is None else dtmf_key(value)


class RetryLimit(Strict):
    """Its own count and exit for one kind of failed try (``on_no_input`` / ``on_no_match``).

    Without it, silences and wrong answers share ``max_attempts`` and ``on_failure``
    (FreePBX's "invalid" and "timeout" retries, FreeSWITCH's max-failures/max-timeouts).
    """

    #: Tries of this kind before giving up (default: ``max_attempts``).
    max: int | None = Field(default=None, ge=1, le=10)
    #: Where to go then (default: the node's ``on_failure``, else the operator queue).
    next: str | None = None


class Settings(Strict):
    """Defaults for every flow in the file."""

    default_language: str = "en"
    languages: list[str] = Field(default_factory=lambda: ["en"])
    #: espeak-ng voice per language for synthesised prompts.
    voices: dict[str, str] = Field(default_factory=dict)
    #: Queue that takes callers who fail a node or press the operator key.
    operator_queue: str | None = "operator"
    timeout: float = Field(default=5.0, gt=0, le=60)
    inter_digit_timeout: float = Field(default=3.0, gt=0, le=30)
    max_attempts: int = Field(default=3, ge=1, le=10)
    no_input: PromptField | None = Field(default_factory=lambda: builtin("no_input"))
    no_match: PromptField | None = Field(default_factory=lambda: builtin("no_match"))
    #: The flow's own text for built-in prompts, by name then language:
    #: ``{readback: {fr: "Vous avez saisi {value}…"}}`` (names in BUILTIN_PROMPTS).
    prompts: dict[str, dict[str, str]] = Field(default_factory=dict)
    keys: GlobalKeys = Field(default_factory=GlobalKeys)
    #: Speech results below this confidence are not trusted at all (no-match).
    min_confidence: float = Field(default=0.35, ge=0, le=1)
    #: Speech results below this confidence are confirmed ("Did you say billing?").
    confirm_below: float = Field(default=0.6, ge=0, le=1)
    #: Confirm every spoken pick heard over a narrow-band line (no energy below ~300 Hz: an
    #: analogue or PSTN leg), whatever its confidence: there the recogniser's confident picks
    #: are the wrong ones it makes (docs/speech.md, "Narrow-band lines").
    confirm_narrowband: bool = True


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Holiday(Strict):
    """A date the business is closed (or has special hours)."""

    date: dt.date
    name: str | None = None
    #: Opening ranges that day instead of closed all day, e.g. ``["09:00-12:00"]``.
    hours: list[str] = Field(default_factory=list)


class Calendar(Strict):
    """Named business hours: time zone, weekly opening ranges, holidays.

    ``weekly`` keys are days (``mon``) or day ranges (``mon-fri``); values are
    ``"HH:MM-HH:MM"`` strings or lists of them; a range that runs past midnight
    says so: ``"22:00-02:00 overnight"``. Names, days, times and ranges are
    checked (with positions) by :mod:`ivr.flows.checks.calendar`.
    """

    timezone: str
    weekly: dict[str, str | list[str]]
    holidays: list[dt.date | Holiday] = Field(default_factory=list)


class Queue(Strict):
    """A named agent queue; ``asterisk`` is its name in queues.conf (defaults to the key)."""

    asterisk: str | None = None
    description: str | None = None
    priority: int = Field(default=0, ge=0, le=999)
    music_class: str | None = None
    max_wait: int | None = Field(default=None, gt=0)


class Condition(Strict):
    r"""One ``branch`` case; every field given must hold (AND). Cases are tried in order (OR).

    Examples: ``{open: office}``, ``{variable: language, equals: es}``,
    ``{caller: "^\\+1555"}``, ``{queue: sales, agents_available: 1}``.
    """

    variable: str | None = None
    equals: str | None = None
    not_equals: str | None = None
    one_of: list[str] | None = None
    matches: str | None = None
    greater_than: float | None = None
    less_than: float | None = None
    is_set: bool | None = None
    caller: str | None = Field(default=None, description="regex on the caller ID")
    language: str | None = None
    open: str | None = Field(default=None, description="calendar name: true while open")
    closed: str | None = Field(default=None, description="calendar name: true while closed")
    queue: str | None = None
    agents_available: int | None = Field(default=None, ge=0, description="at least this many")
    wait_below: float | None = Field(default=None, gt=0, description="estimated wait, seconds")

    @field_validator("equals", "not_equals", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, bool):
            # YAML 1.1 turns a bare yes/no/on/off into a boolean; comparing against
            # "True" would never match what the caller or a backend gave.
            raise ValueError("YAML read this word as a boolean")
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _coherent(self) -> Condition:
        value_tests = (self.equals, self.not_equals, self.one_of, self.matches,
                       self.greater_than, self.less_than, self.is_set)
        if any(t is not None for t in value_tests) and self.variable is None:
            raise ValueError("equals/one_of/matches/... need 'variable' to say what to test")
        if (self.agents_available is not None or self.wait_below is not None) and not self.queue:
            raise ValueError("agents_available/wait_below need 'queue' to say which queue")
        if not self.model_fields_set:
            raise ValueError("an empty condition; use 'else' for the default case")
        for pattern in (self.matches, self.caller):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return self

    @property
    def needs_queue_state(self) -> bool:
        """True when evaluating this case needs live queue state (a ``CheckQueue``)."""
        return self.queue is not None
