"""Dashboard accounts: names, roles and argon2 password hashes in the store's ``users`` table."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ivr.calls.store.schema import agent_interfaces, users
from ivr.calls.store.upsert import upsert

Role = Literal["supervisor", "admin", "agent"]
#: An ``agent`` sees only the calls rung on its queue interface (the hand-off page).
ROLES: tuple[Role, ...] = ("supervisor", "admin", "agent")
#: Fewer characters than this is refused: the dashboard shows callers' journeys.
MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
#: A queue member interface as Asterisk names it: ``PJSIP/alice``, ``Local/4200@agents/n``.
_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}/[A-Za-z0-9_.@:+#/-]{1,95}")
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
    #: The queue member interface of an ``agent`` (None for other roles).
    interface: str | None = None

    @property
    def is_admin(self) -> bool:
        """Admins also manage users."""
        return self.role == "admin"

    @property
    def is_agent(self) -> bool:
        """Agents see their own hand-offs and nothing else."""
        return self.role == "agent"


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


def check_interface(interface: str) -> str:
    """*interface* if it looks like a queue member interface, else :class:`UserError`."""
    if not _INTERFACE.fullmatch(interface):
        raise UserError(f"interface {interface!r}: give the agent's queue member interface as "
                        "Asterisk names it, e.g. PJSIP/alice or Local/4200@agents/n")
    return interface


def _with_interface() -> Select[tuple[str, str, bool, str | None]]:
    return (select(users.c.name, users.c.role, users.c.disabled, agent_interfaces.c.interface)
            .outerjoin(agent_interfaces, agent_interfaces.c.user_name == users.c.name))


def user_of(row: object) -> User:
    """A :class:`User` from a row of :func:`_with_interface` (or a join that has its columns)."""
    return User(row.name, row.role, bool(row.disabled),  # type: ignore[attr-defined]
                row.interface)  # type: ignore[attr-defined]


class Users:
    """Account operations on the store's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, name: str, role: str, password: str,
                  interface: str | None = None) -> User:
        """Create a user; raises :class:`UserError` if the name is taken or a value is bad.

        An ``agent`` needs its queue member *interface*; other roles take none.
        """
        _check(name, role, password)
        if (role == "agent") != bool(interface):
            raise UserError("an agent needs its queue interface (--interface PJSIP/alice), "
                            "and only an agent has one")
        try:
            async with self.engine.begin() as conn:
                await conn.execute(users.insert().values(
                    name=name, role=role, password_hash=_hasher.hash(password),
                    created_at=dt.datetime.now(dt.UTC), disabled=False))
                if interface:
                    await self._store_interface(conn, name, check_interface(interface))
        except IntegrityError:
            raise UserError(f"user {name!r} exists; change it with 'ivr users passwd'") from None
        return User(name, role, interface=interface)  # type: ignore[arg-type]

    async def set_interface(self, name: str, interface: str) -> None:
        """Tie *name* to a queue member *interface* (one login per interface)."""
        check_interface(interface)
        if await self.get(name) is None:
            raise UserError(f"no user {name!r}; list them with 'ivr users list'")
        try:
            async with self.engine.begin() as conn:
                await self._store_interface(conn, name, interface)
        except IntegrityError:
            raise UserError(f"interface {interface!r} belongs to another login") from None

    async def _store_interface(self, conn: AsyncConnection, name: str, interface: str) -> None:
        await upsert(conn, agent_interfaces, "user_name",
                     {"user_name": name, "interface": interface})

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
        return await self.get(name)

    async def get(self, name: str) -> User | None:
        """Look a user up by name."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(_with_interface().where(users.c.name == name))).first()
        return None if row is None else user_of(row)

    async def list(self) -> list[User]:
        """Every user, by name."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_with_interface().order_by(users.c.name))).all()
        return [user_of(r) for r in rows]

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
            found = await self.get(name)
            if role == "agent" and found is not None and not found.interface:
                raise UserError(f"{name} has no queue interface yet: set one first "
                                f"('ivr users interface {name} PJSIP/...')")
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if values:
            await self._update(name, values)
        if role is not None and role != "agent":
            async with self.engine.begin() as conn:  # only an agent keeps an interface
                await conn.execute(delete(agent_interfaces)
                                   .where(agent_interfaces.c.user_name == name))

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
