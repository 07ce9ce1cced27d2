"""Server-side dashboard sessions: a random cookie token, its sha256 and a CSRF token in the store.

Sessions live in the database, not in the process, so any dashboard instance
can serve any request and logging out (or disabling a user) takes effect
everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.calls.store.schema import agent_interfaces, users, web_sessions
from ivr.web.users import User, user_of

#: How long a login lasts without being renewed.
LIFETIME = dt.timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """A logged-in browser."""

    user: User
    csrf_token: str
    expires_at: dt.datetime


class Sessions:
    """Create, find and end sessions."""

    def __init__(self, engine: AsyncEngine, lifetime: dt.timedelta = LIFETIME) -> None:
        self.engine = engine
        self.lifetime = lifetime

    async def create(self, user: User, now: dt.datetime) -> tuple[str, Session]:
        """Start a session for *user*; return the cookie token and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), now + self.lifetime)
        async with self.engine.begin() as conn:
            await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
            await conn.execute(web_sessions.insert().values(
                token_hash=_digest(token), user_name=user.name,
                csrf_token=session.csrf_token, created_at=now, expires_at=session.expires_at))
        return token, session

    async def lookup(self, token: str, now: dt.datetime) -> Session | None:
        """The live session for a cookie token (None if unknown, expired or disabled)."""
        query = (select(web_sessions.c.csrf_token, web_sessions.c.expires_at, users.c.name,
                        users.c.role, users.c.disabled, agent_interfaces.c.interface)
                 .join(users, users.c.name == web_sessions.c.user_name)
                 .outerjoin(agent_interfaces, agent_interfaces.c.user_name == users.c.name)
                 .where(web_sessions.c.token_hash == _digest(token)))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or row.disabled or row.expires_at <= now:
            return None
        return Session(user_of(row), row.csrf_token, row.expires_at)

    async def end(self, token: str) -> None:
        """Log the browser out."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(web_sessions).where(
                web_sessions.c.token_hash == _digest(token)))
