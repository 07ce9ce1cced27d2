"""What the engine asks an adapter to do.

``Call.start``/``Call.receive`` return a list of effects. Only the last one may
be *blocking* (``Play``, ``Gather``, ``Lookup``, ``Record``, ``CheckQueue``): the adapter
carries out the non-blocking ones in order, then the blocking one, and feeds
its result back as an event. ``Finish`` is terminal. Every effect that touches
the caller names the node it belongs to, so a hang-up is attributed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.calls.outcome import OutcomeKind
from ivr.flows.parts import Calendar


@dataclass(frozen=True, slots=True)
class Prompt:
    """One thing to say: synthesised ``text`` or a recording ``file`` (relative to recordings/).

    ``text`` is already rendered (variables substituted). ``sensitive`` marks a
    prompt that contains caller secrets (a PIN readback): adapters must not
    log it and call records store ``[sensitive]`` in its place.
    """

    text: str | None = None
    file: str | None = None
    language: str = "en"
    voice: str | None = None
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class DigitSpec:
    """How to collect DTMF for a ``Gather``."""

    min_digits: int = 1
    max_digits: int = 1
    finish_key: str | None = None
    timeout_s: float = 5.0
    inter_digit_timeout_s: float = 3.0
    #: Keys that end the prompt early (barge-in) and count as input.
    valid_keys: str = "0123456789*#"


@dataclass(frozen=True, slots=True)
class SpeechSpec:
    """How to listen for speech for a ``Gather``.

    ``phrases`` restricts recognition to a grammar (Vosk grammar mode); ``None``
    means free-form dictation (a transcript for the agent).
    """

    language: str = "en"
    phrases: tuple[str, ...] | None = None
    end_silence_ms: int = 800
    #: Whether callers may follow a phrase with words such as "하고 싶어요" (menu options);
    #: off for yes/no answers, where those words only let the decoder wander.
    carriers: bool = True
    max_speech_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer the channel (non-blocking)."""


@dataclass(frozen=True, slots=True)
class SetVariable:
    """Set a channel variable for the dialplan / the agent (non-blocking)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Play:
    """Play prompts; answered by ``PlaybackDone``, ``Digits`` (barge-in) or ``Hangup``."""

    node: str
    prompts: tuple[Prompt, ...]
    interrupt_keys: str = ""


@dataclass(frozen=True, slots=True)
class Gather:
    """Play prompts and collect input.

    Answered by ``Digits``, ``SpeechHeard``, ``NoInput`` or ``Hangup``.

    At least one of ``digits``/``speech`` is set; when both are, whichever
    comes first wins. ``barge_in`` lets input stop the prompt.
    """

    node: str
    prompts: tuple[Prompt, ...]
    digits: DigitSpec | None = None
    speech: SpeechSpec | None = None
    barge_in: bool = True
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Lookup:
    """Make an HTTP request; answered by ``LookupDone``, ``LookupFailed`` or ``Hangup``."""

    node: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    json_body: str | None = None
    timeout_s: float = 3.0
    #: Digests of the request's parts (url, headers, body) with sensitive values masked,
    #: as the timeline records them: replay compares them to tell a changed request.
    digests: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """Record the caller (voicemail); answered by ``Recorded`` or ``Hangup``."""

    node: str
    prompts: tuple[Prompt, ...]
    max_seconds: int = 120
    silence_s: int = 5
    beep: bool = True
    finish_keys: str = "#"


@dataclass(frozen=True, slots=True)
class CheckQueue:
    """Ask for live queue state (AMI); answered by ``QueueStatus`` or ``Hangup``."""

    node: str
    queue: str


@dataclass(frozen=True, slots=True)
class CallbackAsk:
    """The promise a ``callback`` outcome carries: the adapter stores it as a durable request.

    ``calendar`` is the queue's business hours (copied, so a later flow edit does not
    move a promise already made); ``after`` is a time of day in its zone ("18:00").
    """

    number: str
    calendar: Calendar | None = None
    topic: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the IVR part of the call ended.

    ``queue``/``transfer``/``voicemail`` hand the caller back to the dialplan
    with channel variables (``IVR_OUTCOME``, ``IVR_QUEUE`` …); ``abandoned``
    names the node where the caller hung up.
    """

    kind: OutcomeKind
    node: str
    queue: str | None = None
    priority: int | None = None
    music_class: str | None = None
    max_wait_s: int | None = None
    callback_offered: bool = False
    target: str | None = None
    mailbox: str | None = None
    reason: str | None = None
    #: Set on ``callback`` outcomes: what the adapter must store so the call is really made.
    callback: CallbackAsk | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The IVR is done with the call (terminal). ``variables`` go on the channel for the agent."""

    outcome: Outcome
    variables: dict[str, str] = field(default_factory=dict)


Blocking = Play | Gather | Lookup | Record | CheckQueue
Effect = Answer | SetVariable | Play | Gather | Lookup | Record | CheckQueue | Finish
