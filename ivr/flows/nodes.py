"""One schema per node kind (``type:`` in YAML).

Targets (``next``, ``on_failure``, option targets …) name a node of the same
flow, or another flow's start as ``flow:NAME`` (see :class:`Goto` for the
explicit form). Retry fields follow FreeSWITCH/FreePBX habits: ``timeout``,
``max_attempts``, ``no_input``/``no_match`` prompts and ``on_failure``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ivr.flows.parts import (
    Condition,
    GlobalKeys,
    PromptField,
    RetryLimit,
    Strict,
    builtin,
    dtmf_key,
)

InputKind = Literal["dtmf", "speech"]


class _Base(Strict):
    description: str | None = None


class _Retries(Strict):
    """Fields of every node that waits for the caller (defaults come from ``settings``)."""

    timeout: float | None = Field(default=None, gt=0, le=60)
    max_attempts: int | None = Field(default=None, ge=1, le=10)
    no_input: PromptField | None = None
    no_match: PromptField | None = None
    #: Where to go after max_attempts; default: the operator queue from settings.
    on_failure: str | None = None
    #: Count silences on their own, with their own limit and exit (default: shared count).
    on_no_input: RetryLimit | None = None
    #: Count wrong answers on their own, with their own limit and exit (default: shared count).
    on_no_match: RetryLimit | None = None


class Option(Strict):
    """A menu choice: a key, spoken phrases, or both."""

    key: str | None = None
    #: Phrases (and synonyms) that choose this option by voice.
    say: list[str] = Field(default_factory=list)
    #: Short name used in reports and in "Did you say …?"; defaults to the first phrase or key.
    label: str | None = None
    next: str
    #: Switch the call's language (for "For English press 1, para español oprima 2").
    language: str | None = None
    set: dict[str, str] = Field(default_factory=dict)

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str | None:
        return None if value is None else dtmf_key(value)

    @model_validator(mode="after")
    def _reachable(self) -> Option:
        if self.key is None and not self.say:
            raise ValueError("an option needs a 'key', a 'say' list, or both")
        return self

    @property
    def name(self) -> str:
        """The label shown in reports."""
        return self.label or (self.say[0] if self.say else f"key {self.key}")


class Menu(_Base, _Retries):
    """Play a prompt; the caller picks an option by key or by voice."""

    type: Literal["menu"]
    prompt: PromptField
    #: Short prompt for repeats (FreeSWITCH greet-short); defaults to ``prompt``.
    short_prompt: PromptField | None = None
    options: list[Option]
    input: list[InputKind] | None = None
    barge_in: bool = True
    keys: GlobalKeys | None = None
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    confirm_below: float | None = Field(default=None, ge=0, le=1)
    confirm_narrowband: bool | None = None


class Collect(_Base, _Retries):
    """Collect digits (account number, PIN) or a free-form spoken answer into a variable."""

    type: Literal["collect"]
    prompt: PromptField
    variable: str
    input: InputKind = "dtmf"
    min_digits: int = Field(default=1, ge=1, le=64)
    max_digits: int = Field(default=16, ge=1, le=64)
    finish_key: str | None = "#"
    inter_digit_timeout: float | None = Field(default=None, gt=0, le=30)
    #: Regular expression the whole value must match.
    pattern: str | None = None
    #: Read the value back and ask for 1 (yes) / 2 (re-enter).
    confirm: bool = False
    confirm_prompt: PromptField | None = None
    #: PINs, card numbers: never stored, logged or shown; only "given, N digits".
    sensitive: bool = False
    #: The operator and repeat keys, pressed alone, work here as in menus; ``false`` makes a
    #: lone ``0`` or ``*`` an ordinary answer.
    global_keys: bool = True
    keys: GlobalKeys | None = None
    next: str

    @field_validator("finish_key", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str | None:
        return None if value is None else dtmf_key(value)

    @model_validator(mode="after")
    def _lengths(self) -> Collect:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits ({self.min_digits}) > max_digits ({self.max_digits})")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"bad pattern {self.pattern!r}: {exc}") from exc
        if self.sensitive and self.input == "speech":
            raise ValueError("sensitive values must be keyed in: use input: dtmf")
        return self


class Play(_Base):
    """Say something, then go on."""

    type: Literal["play"]
    prompt: PromptField
    next: str
    #: Let a key press skip the rest of the prompt.
    interruptible: bool = True


class Case(Strict):
    """``when`` holds, go to ``next``."""

    when: Condition
    next: str


class Branch(_Base):
    """Choose the next node by variables, caller ID, language, business hours or queue state."""

    type: Literal["branch"]
    cases: list[Case] = Field(min_length=1)
    #: Where to go when no case holds.
    default: str = Field(alias="else")


class SplitBranch(Strict):
    """One arm of a ``split``: a name for reports, its share of callers and where it goes."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    #: Share of callers, in percent (the branches of a split add up to 100).
    percent: float = Field(ge=0, le=100)
    next: str


class Split(_Base):
    """A/B test: send callers to branches by percentage, the same caller always to the same one.

    The branch is chosen by a stable hash of ``salt`` and the caller number (a
    caller without a number is placed by the call's own id), so a caller who
    calls again hears the same version; a new salt reshuffles everyone. Outside
    the optional ``from``/``until`` dates (inclusive, in ``timezone``) callers go
    to ``else``.
    """

    type: Literal["split"]
    salt: str = Field(min_length=1)
    branches: list[SplitBranch] = Field(min_length=2)
    starts: dt.date | None = Field(default=None, alias="from")
    ends: dt.date | None = Field(default=None, alias="until")
    timezone: str = "UTC"
    #: Where callers go outside the date range (required with ``from``/``until``).
    default: str | None = Field(default=None, alias="else")


class Lookup(_Base):
    """Ask a self-service backend over HTTP; its JSON reply becomes a variable.

    ``url`` and ``body`` may use ``{variables}``; values are URL-encoded or
    JSON-encoded, never spliced raw.
    """

    type: Literal["lookup"]
    url: str
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    timeout: float = Field(default=3.0, gt=0, le=30)
    #: Variable that receives the whole JSON reply (``{result.amount}`` in prompts).
    result: str
    #: Copy single values out of the reply: ``{name: "path.in.reply"}``.
    assign: dict[str, str] = Field(default_factory=dict)
    #: Say this while waiting (covers a slow backend).
    hold_prompt: PromptField | None = None
    #: Parts of the reply that are secrets (``card.number``, starting at ``result`` or an
    #: ``assign`` name): kept for later lookups, never spoken, stored, shared or logged.
    sensitive_results: list[str] = Field(default_factory=list)
    next: str
    on_error: str


class Set(_Base):
    """Set variables (templates allowed) and/or the call's language."""

    type: Literal["set"]
    variables: dict[str, str] = Field(default_factory=dict)
    #: Variables of this node that hold sensitive values (copies of a PIN for a lookup):
    #: never stored or shown. Copying a sensitive value anywhere else is an error.
    sensitive: list[str] = Field(default_factory=list)
    language: str | None = None
    next: str

    @field_validator("variables", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            # Booleans stay booleans so the schema error says to quote yes/no/on/off.
            return {k: "" if v is None else v if isinstance(v, bool) else str(v)
                    for k, v in value.items()}
        return value


class NumberAsk(Strict):
    """How a callback gets the number to call: the caller ID, or digits keyed in and confirmed.

    ``ask_number``: ``withheld`` keys in only when the caller ID is missing or not a
    phone number; ``always`` asks every caller (a switchboard's caller ID is useless).
    """

    ask_number: Literal["withheld", "always"] = "withheld"
    number_prompt: PromptField = (
        "Please enter the number we should call, followed by the hash key."
    )
    #: ``{callback_number_spoken}`` is the number read back digit by digit.
    number_check: PromptField = (
        "You entered {callback_number_spoken}. Press 1 if that is right, or 2 to enter it again."
    )
    #: Business hours (a name under ``calendars:``) the callback must be made in.
    calendar: str | None = None
    #: What the call was about, said to the callee ("returning your call about billing").
    topic: str | None = None


class Callback(NumberAsk):
    """Offer "press 1 to be called back" when the wait is long."""

    when_wait_over: float = Field(default=120, gt=0)
    prompt: PromptField = Field(default_factory=lambda: builtin("callback_offer"))
    confirmation: PromptField = Field(default_factory=lambda: builtin("callback_confirmation"))


class CallbackNode(_Base, NumberAsk):
    """Take a callback request directly (after hours): the queue calls the caller back later."""

    type: Literal["callback"]
    queue: str
    prompt: PromptField | None = (
        "We are closed right now. We will call you back as soon as we open."
    )
    confirmation: PromptField = "Thank you. We will call you back. Goodbye."
    priority: int | None = Field(default=None, ge=0, le=999)
    #: Do not call before this time of day (the calendar's time zone), e.g. ``"18:00"``.
    after: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")


class QueueNode(_Base):
    """Hand the caller to a named agent queue (Asterisk's Queue() holds them, not us)."""

    type: Literal["queue"]
    queue: str
    prompt: PromptField | None = None
    priority: int | None = Field(default=None, ge=0, le=999)
    music_class: str | None = None
    max_wait: int | None = Field(default=None, gt=0)
    callback: Callback | None = None
    #: Variables shown to the agent (screen-pop); default: every non-sensitive variable.
    share: list[str] | None = None


class Transfer(_Base):
    """Dial a number or extension."""

    type: Literal["transfer"]
    target: str
    prompt: PromptField | None = None

    @field_validator("target", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class Voicemail(_Base):
    """Record a message for a mailbox; ends the IVR."""

    type: Literal["voicemail"]
    prompt: PromptField
    mailbox: str = "general"
    max_seconds: int = Field(default=120, gt=0, le=3600)
    silence: int = Field(default=5, gt=0, le=60)
    beep: bool = True
    #: Played after the message, before hanging up.
    goodbye: PromptField | None = Field(default_factory=lambda: builtin("voicemail_goodbye"))


class Record(_Base):
    """Record the caller (e.g. "tell us your address") into a variable, then go on."""

    type: Literal["record"]
    prompt: PromptField
    variable: str
    max_seconds: int = Field(default=60, gt=0, le=3600)
    silence: int = Field(default=3, gt=0, le=60)
    beep: bool = True
    next: str


class Survey(_Base, _Retries):
    """Post-call satisfaction: CSAT 1-5 or NPS 0-10, keyed in."""

    type: Literal["survey"]
    kind: Literal["csat", "nps"] = "csat"
    prompt: PromptField
    thanks: PromptField | None = Field(default_factory=lambda: builtin("survey_thanks"))
    next: str | None = None


class Hangup(_Base):
    """Say goodbye and end the call. ``outcome: self_service`` marks a resolved call."""

    type: Literal["hangup"]
    prompt: PromptField | None = None
    outcome: Literal["hangup", "self_service"] = "hangup"


class Goto(_Base):
    """Continue in another flow (shared sub-menus), at its start or at ``node``."""

    type: Literal["goto"]
    flow: str
    node: str | None = None


Node = (
    Menu
    | Collect
    | Play
    | Branch
    | Lookup
    | Set
    | QueueNode
    | Transfer
    | Voicemail
    | Record
    | Survey
    | Hangup
    | Goto
    | CallbackNode
    | Split
)

#: Node kinds that wait for the caller: a cycle through none of them loops forever.
INPUT_KINDS = frozenset({"menu", "collect", "survey", "record", "voicemail"})
