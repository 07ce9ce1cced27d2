"""What Asterisk's media commands answer, as values: the key pressed, where playback stopped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Playback:
    """Result of ``STREAM FILE``: the key that interrupted it (if any) and where it stopped."""

    digit: str | None
    endpos: int | None


@dataclass(frozen=True, slots=True)
class DigitsEntered:
    """Result of ``GET DATA``: the keys pressed and whether entry ended on a timeout."""

    digits: str
    timed_out: bool


@dataclass(frozen=True, slots=True)
class Recording:
    """Result of ``RECORD FILE``: why it stopped (``silence``/``timeout``/``dtmf``) and length."""

    reason: str
    endpos: int | None
    digit: str | None = None


def pressed(result: int) -> str | None:
    """The key a media command's ``result`` names (its character code), if any."""
    return chr(result) if result > 0 else None
