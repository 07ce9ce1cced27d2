"""Session-wide test helpers.

Tests that need a real part (Asterisk, PostgreSQL, Chromium, the Vosk model)
call :func:`need`: locally a missing part skips the test, in CI (``CI`` set)
it fails it, because CI must run everything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Fixtures shared across packages: the Asterisk sandbox, a call store on each backend,
#: the Korean model and espeak-ng phrases, and the speech rig on the real Asterisk.
pytest_plugins = (
    "tests.asterisk.fixtures", "tests.calls.backends", "tests.speech.fixtures",
    "tests.speech.asterisk_rig",
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def need(condition: bool, why: str) -> None:
    """Skip locally, fail in CI, when a real part the test needs is missing."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test but: {why}")
    pytest.skip(why)
