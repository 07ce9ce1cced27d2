"""A call store per test, on SQLite and on PostgreSQL: the same tests run against both.

Registered once for the whole suite in tests/conftest.py (the dashboard's tests and the
crash test use the two backends too).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from ivr.calls.store import SqlStore, open_store
from ivr.calls.store.schema import metadata
from ivr.calls.store.sql import engine_url
from tests.conftest import need

#: The machine's PostgreSQL (trust auth); each test session gets its own database in it.
PG_ADMIN = os.environ.get("IVR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def pg_admin(sql: str) -> None:
    """Run *sql* as the administrator of the machine's PostgreSQL."""
    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this session (None when PostgreSQL is unreachable)."""
    name = f"ivr_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        yield None
        print(f"PostgreSQL unavailable: {exc}")
        return
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path,
                    pg_database: str | None) -> AsyncIterator[str]:
    """The URL of an empty store on each backend (PostgreSQL's is wiped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calls.sqlite3'}"
        return
    need(pg_database is not None, "PostgreSQL is not reachable on 127.0.0.1:5432")
    assert pg_database is not None
    yield pg_database
    await _wipe(pg_database)


async def _wipe(url: str) -> None:
    engine = create_async_engine(engine_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStore]:
    """An open, migrated, empty store; wiped afterwards so the next test starts empty."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()
