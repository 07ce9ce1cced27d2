"""Prompt tests run the real synthesiser (espeak-ng and sox)."""

from __future__ import annotations

import pytest

from tests.prompts.support import need_tts


@pytest.fixture
def tts() -> None:
    """Require espeak-ng (through pyttsx3) and sox."""
    need_tts()
