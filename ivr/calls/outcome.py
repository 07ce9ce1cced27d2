"""How a call ended: the one outcome vocabulary of the engine, the records, the store and the UI.

A :class:`~enum.StrEnum`, so stored values, JSON, channel variables (``IVR_OUTCOME``) and
URLs keep the plain strings they always had (``queue``, ``self_service`` …).
"""

from __future__ import annotations

from enum import StrEnum


class OutcomeKind(StrEnum):
    """Where a call's IVR part ended (``interrupted``: cut off by a crash of the service)."""

    SELF_SERVICE = "self_service"
    QUEUE = "queue"
    TRANSFER = "transfer"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    HANGUP = "hangup"
    ABANDONED = "abandoned"
    ERROR = "error"
    INTERRUPTED = "interrupted"


#: Outcomes after which the dialplan puts the caller in front of a person.
HANDOFF = frozenset({OutcomeKind.QUEUE, OutcomeKind.TRANSFER, OutcomeKind.VOICEMAIL,
                     OutcomeKind.CALLBACK, OutcomeKind.ERROR})
#: Outcomes of a caller lost to the IVR (they hung up, or the service stopped under them).
LOST = frozenset({OutcomeKind.ABANDONED, OutcomeKind.INTERRUPTED})
