"""Migrations bring any database to the schema the code declares, once, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, inspect, select

from ivr.calls.store import open_store
from ivr.calls.store.migrations import MIGRATIONS, SchemaTooNew, current_version, migrate
from ivr.calls.store.schema import metadata, schema_version


def _columns(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()}


async def test_a_new_database_gets_exactly_the_declared_schema(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        async with store.engine.connect() as conn:
            found = await conn.run_sync(_columns)
            versions = (await conn.execute(select(schema_version.c.version))).scalars().all()
        declared = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
        assert found == declared
        assert list(versions) == [m.version for m in MIGRATIONS]
    finally:
        await store.close()


async def test_reopening_applies_nothing_and_a_newer_schema_is_refused(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        async with store.engine.begin() as conn:
            assert await conn.run_sync(migrate) == []
            latest = await conn.run_sync(current_version)
            await conn.execute(schema_version.insert().values(
                version=latest + 1, description="from the future",
                applied_at=dt.datetime.now(dt.UTC)))
    finally:
        await store.close()
    with pytest.raises(SchemaTooNew, match="upgrade ivr"):
        await open_store(store_url)
