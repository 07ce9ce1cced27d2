"""Dashboard accounts: names, roles and argon2 password hashes in the store's ``users`` table."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.calls.store.schema import users

Role = Literal["supervisor", "admin"]
ROLES: tuple[Role, ...] = ("supervisor", "admin")
#: Fewer characters than this is refused: the dashboard shows callers' journeys.
MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_hasher = PasswordHasher()
#: Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class UserError(ValueError):
    """A user cannot be created or changed as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class User:
    """A dashboard account."""

    name: str
    role: Role
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        """Admins also manage users."""
        return self.role == "admin"


def valid_name(name: str) -> bool:
    """Whether *name* could be a user name (anything else needs no database look-up)."""
    return _NAME.fullmatch(name) is not None


def _check(name: str, role: str, password: str | None) -> None:
    if not valid_name(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits and . _ @ -")
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


class Users:
    """Account operations on the store's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, name: str, role: str, password: str) -> User:
        """Create a user; raises :class:`UserError` if the name is taken or a value is bad."""
        _check(name, role, password)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(users.insert().values(
                    name=name, role=role, password_hash=_hasher.hash(password),
                    created_at=dt.datetime.now(dt.UTC), disabled=False))
        except IntegrityError:
            raise UserError(f"user {name!r} exists; change it with 'ivr users passwd'") from None
        return User(name, role)  # type: ignore[arg-type]

    async def verify(self, name: str, password: str) -> User | None:
        """Return the user when *password* is right and the account is enabled."""
        row = None
        if valid_name(name):  # a NUL byte or a 10 kB name never reaches the database
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(users).where(users.c.name == name))).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            # argon2 takes tens of milliseconds of CPU: off the event loop, so a burst of
            # guesses does not stall every other page.
            await asyncio.to_thread(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        if _hasher.check_needs_rehash(stored):
            await self._set_hash(name, _hasher.hash(password))
        return User(row.name, row.role, row.disabled)

    async def get(self, name: str) -> User | None:
        """Look a user up by name."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.name == name))).first()
        return None if row is None else User(row.name, row.role, row.disabled)

    async def list(self) -> list[User]:
        """Every user, by name."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.name))).all()
        return [User(r.name, r.role, r.disabled) for r in rows]

    async def set_password(self, name: str, password: str) -> None:
        """Replace a user's password."""
        _check(name, "supervisor", password)
        await self._set_hash(name, _hasher.hash(password))

    async def update(self, name: str, *, role: str | None = None,
                     disabled: bool | None = None) -> None:
        """Change a user's role or enable/disable the account."""
        values: dict[str, object] = {}
        if role is not None:
            _check(name, role, None)
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if values:
            await self._update(name, values)

    async def remove(self, name: str) -> None:
        """Delete a user (their sessions go with them)."""
        async with self.engine.begin() as conn:
            done = await conn.execute(delete(users).where(users.c.name == name))
        if not done.rowcount:
            raise UserError(f"no user {name!r}")

    async def _set_hash(self, name: str, hashed: str) -> None:
        await self._update(name, {"password_hash": hashed})

    async def _update(self, name: str, values: dict[str, object]) -> None:
        async with self.engine.begin() as conn:
            done = await conn.execute(update(users).where(users.c.name == name).values(**values))
        if not done.rowcount:
            raise UserError(f"no user {name!r}; list them with 'ivr users list'")
