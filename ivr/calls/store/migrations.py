"""Versioned schema migrations, applied in order when a store opens.

Each migration is a function of a connection inside one transaction, with a
version number that only grows; ``ivr_schema_version`` records what was
applied, so every instance sharing a PostgreSQL database agrees on the
schema. On PostgreSQL an advisory lock makes concurrent starts take turns.

To change the schema: append a new :class:`Migration` that alters the tables
(never edit an applied one), and update :mod:`ivr.calls.store.schema` to match;
``tests/calls/store/test_migrations.py`` checks the two agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select, text

from ivr.calls.store import schema

#: Arbitrary constant naming our advisory lock on PostgreSQL.
_LOCK_KEY = 0x1F2E3D4C


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    # Version 1 is the schema as first released; schema.metadata describes it.
    for table in (schema.calls, schema.timeline, schema.users, schema.web_sessions):
        table.create(conn)


def _login_attempts(conn: Connection) -> None:
    schema.login_attempts.create(conn)


def _callbacks(conn: Connection) -> None:
    for table in (schema.callbacks, schema.callback_history):
        table.create(conn)


def _live_state(conn: Connection) -> None:
    schema.live_state.create(conn)


def _agents_and_settings(conn: Connection) -> None:
    for table in (schema.agent_interfaces, schema.dashboard_settings):
        table.create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "calls, call timeline, dashboard users and sessions", _initial),
    Migration(2, "dashboard login attempts (throttling and lock-out)", _login_attempts),
    Migration(3, "callback requests and their status history", _callbacks),
    Migration(4, "live state each service instance publishes for the wallboard", _live_state),
    Migration(5, "agent logins' queue interfaces; settings changed in the dashboard",
              _agents_and_settings),
)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release than this one."""


def current_version(conn: Connection) -> int:
    """Return the highest applied migration (0 for an empty database)."""
    schema.schema_version.create(conn, checkfirst=True)
    found = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(found, default=0)


def migrate(conn: Connection, now: dt.datetime | None = None) -> list[int]:
    """Apply every pending migration; return the versions applied."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    version = current_version(conn)
    latest = MIGRATIONS[-1].version
    if version > latest:
        raise SchemaTooNew(
            f"the call store is at schema version {version} but this release knows up to "
            f"{latest}; upgrade ivr on this machine (or point store.url at another database)"
        )
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        migration.apply(conn)
        conn.execute(
            schema.schema_version.insert().values(
                version=migration.version,
                description=migration.description,
                applied_at=now or dt.datetime.now(dt.UTC),
            )
        )
        applied.append(migration.version)
    return applied
