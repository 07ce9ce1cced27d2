"""Which store errors the writer retries: a restarting PostgreSQL is not a permanent failure."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from ivr.calls.store.sql import is_transient


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate", ["57P03", "57P01", "57P02", "08006", "08001"])
def test_shutdown_and_connection_errors_are_retried(sqlstate: str) -> None:
    exc = DBAPIError("INSERT", {}, _DriverError(sqlstate))
    assert is_transient(exc)


@pytest.mark.parametrize("sqlstate", ["23503", "23505", "42P01", "22001"])
def test_errors_a_retry_cannot_cure_are_not(sqlstate: str) -> None:
    assert not is_transient(DBAPIError("INSERT", {}, _DriverError(sqlstate)))
    assert not is_transient(IntegrityError("INSERT", {}, _DriverError(sqlstate)))
