"""Callback stores on both backends (on the call store's fixtures, tests/calls/backends.py)."""

from __future__ import annotations

import pytest

from ivr.callbacks.store import CallbackStore
from ivr.calls.store import SqlStore


@pytest.fixture
async def callbacks(store: SqlStore) -> CallbackStore:
    """Callback requests on the same engine as the call store."""
    return CallbackStore(store.engine)
