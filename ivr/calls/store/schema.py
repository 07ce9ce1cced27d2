"""The tables, declared once with SQLAlchemy Core so SQLite and PostgreSQL share one definition.

Times are stored as UTC: PostgreSQL keeps ``timestamptz``; SQLite has no time
type, so :class:`UtcDateTime` normalises to naive UTC on the way in and marks
values UTC on the way out, and ordering by time stays correct on both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes (their zone is a guess) and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: call times must carry a time zone")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData()

schema_version = Table(
    "ivr_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("linkedid", String(128)),
    Column("instance", String(128)),
    Column("flow", String(128), nullable=False),
    Column("flow_version", String(64), nullable=False),
    Column("caller", String(64)),
    Column("dnid", String(64)),
    Column("language", String(16)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    # NULL while the call is in progress (or was cut off by a crash: see last_node).
    Column("outcome", String(32)),
    Column("outcome_node", String(128)),
    # Kept current by every append, so a crash still says where the caller was.
    Column("last_node", String(128)),
    Column("last_event_at", UtcDateTime),
    Column("queue", String(128)),
    Column("transfer_target", String(128)),
    Column("recording", Text),
    Column("survey_kind", String(8)),
    Column("survey_score", Integer),
    Column("after_ivr_status", String(32)),
    Column("agent", String(128)),
    Column("queue_wait_s", Float),
    Column("talk_s", Float),
    Column("ivr_seconds", Float),
    Column("path", JSON, nullable=False, default=list),
    Column("variables", JSON, nullable=False, default=dict),
    # Lower-cased speech transcripts, for the dashboard's text search.
    Column("transcript", Text, nullable=False, default=""),
    Index("ix_calls_started_at", "started_at"),
    Index("ix_calls_outcome", "outcome"),
    Index("ix_calls_caller", "caller"),
    Index("ix_calls_flow", "flow"),
)

timeline = Table(
    "call_timeline",
    metadata,
    Column("call_id", String(128), ForeignKey("calls.call_id", ondelete="CASCADE"),
           primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("node", String(128)),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_timeline_kind", "kind"),
)

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    # sha256 of the cookie value: a leaked database does not hand out live sessions.
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(64), ForeignKey("users.name", ondelete="CASCADE"),
           nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    # Ids only grow, so "failures since the last success or unlock" is an id comparison
    # that every dashboard instance sharing the database agrees on.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # The name as typed (escaped when it cannot be a user name); NULL on an address unlock.
    Column("user_name", String(80)),
    Column("address", String(64)),
    # pending (being checked; counts as a failure) | failure | success | refused | unlock
    Column("outcome", String(16), nullable=False),
    Index("ix_login_attempts_user", "user_name", "id"),
    Index("ix_login_attempts_address", "address", "id"),
    Index("ix_login_attempts_at", "at"),
)

# Callback requests (ivr/callbacks): migration 3. A request outlives its call's record
# (retention may delete the call), so call_id is a plain column, not a foreign key.
callbacks = Table(
    "callbacks",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("call_id", String(128)),
    Column("number", String(64), nullable=False),
    Column("queue", String(128), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("flow", String(128)),
    Column("topic", String(128)),
    # The queue's business-hours calendar as it was when the caller asked (flows may change).
    Column("calendar", JSON),
    Column("context", JSON, nullable=False, default=dict),
    Column("created_at", UtcDateTime, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("reason", String(128)),
    # The instance dialling it and until when its claim holds (another takes over after).
    Column("claimed_by", String(128)),
    Column("lease_until", UtcDateTime),
    Column("channel", String(128)),
    Column("agent", String(128)),
    Column("connected_at", UtcDateTime),
    Index("ix_callbacks_due", "status", "next_attempt_at"),
    Index("ix_callbacks_number", "number"),
    Index("ix_callbacks_channel", "channel"),
)

callback_history = Table(
    "callback_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), ForeignKey("callbacks.request_id", ondelete="CASCADE"),
           nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", String(256), nullable=False, default=""),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_callback_history_request", "request_id"),
)


live_state = Table(
    "live_state",
    metadata,
    # One row per running ``ivr serve`` instance, rewritten on every change and at least
    # twice a second (ivr.live.publisher); the wallboard merges the rows and ignores one not
    # updated lately (a stopped instance).
    Column("instance", String(128), primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

agent_interfaces = Table(
    "agent_interfaces",
    metadata,
    # An ``agent`` login's queue member interface (``PJSIP/alice``): the dashboard shows that
    # agent the calls Asterisk rings on it, and nothing else.
    Column("user_name", String(64), ForeignKey("users.name", ondelete="CASCADE"),
           primary_key=True),
    Column("interface", String(128), nullable=False, unique=True),
)

dashboard_settings = Table(
    "dashboard_settings",
    metadata,
    # What an admin changed in the dashboard (e.g. the wallboard thresholds), by name; a
    # setting without a row takes its value from ivr.toml.
    Column("name", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)
