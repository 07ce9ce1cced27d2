"""Callback stores on both backends (the call store's fixtures, one database per test)."""

from __future__ import annotations

import pytest

from ivr.callbacks.store import CallbackStore
from ivr.calls.store import SqlStore
from tests.calls.conftest import pg_database, store, store_url

__all__ = ["callbacks", "pg_database", "store", "store_url"]


@pytest.fixture
async def callbacks(store: SqlStore) -> CallbackStore:
    """Callback requests on the same engine as the call store."""
    return CallbackStore(store.engine)
