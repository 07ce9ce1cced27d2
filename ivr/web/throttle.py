"""Login throttling per name and per source address, counted in the store's database.

Every login attempt is a row in ``login_attempts``, written *before* the password
is checked (as ``pending``, which counts as a failure) and then marked ``failure``
or ``success``. Counting after inserting means concurrent guesses see each other:
forty parallel tries cannot all slip in before the first is counted. Because the
rows live in the database, several dashboard instances behind one PostgreSQL
share the counts.

- A name's failures count since its last successful login or admin unlock; an
  address's since its last unlock (a success does not clear an address, or an
  attacker with one account could reset it between guesses).
- From ``backoff_after`` failures on, the next try must wait 1 s, doubling with each
  failure; from ``lock_after`` on it waits the whole lock time after the last failure.
- A refused try is not checked at all (the right password is refused too) and does
  not extend the lock. A try whose result was never recorded (the process died while
  checking it) stays ``pending`` and keeps counting as a failure.

Names are escaped before they are stored or logged; passwords never are either.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ivr.calls.store.schema import login_attempts as attempts
from ivr.config import WebConfig
from ivr.web.users import valid_name

log = logging.getLogger(__name__)

Scope = Literal["name", "address"]
_COUNTED = ("pending", "failure")


def name_key(name: str) -> str:
    """How an attempted name is stored and logged.

    As typed if it can be a user name, else ``?`` and its escaped form, so no control
    character or markup reaches the log or the page.
    """
    return name if valid_name(name) else "?" + ascii(name)[1:-1][:72]


@dataclass(frozen=True)
class Policy:
    """When tries must wait and when they are refused outright."""

    backoff_after: int = 5
    lock_after: int = 10
    address_backoff_after: int = 10
    address_lock_after: int = 30
    lock: dt.timedelta = dt.timedelta(minutes=15)
    window: dt.timedelta = dt.timedelta(hours=24)
    first_delay: dt.timedelta = dt.timedelta(seconds=1)

    @classmethod
    def from_config(cls, web: WebConfig) -> Policy:
        """The policy the ``[web]`` settings describe."""
        return cls(web.login_backoff_after, web.login_lock_after, web.address_backoff_after,
                   web.address_lock_after, dt.timedelta(minutes=web.login_lock_minutes),
                   dt.timedelta(hours=web.login_window_hours))

    def limits(self, scope: Scope) -> tuple[int, int]:
        """(back-off, lock) thresholds for *scope*."""
        if scope == "name":
            return self.backoff_after, self.lock_after
        return self.address_backoff_after, self.address_lock_after

    def blocked_until(self, scope: Scope, failures: int,
                      last: dt.datetime | None) -> dt.datetime | None:
        """When the next try may come, after *failures* the last of which was at *last*."""
        backoff_after, lock_after = self.limits(scope)
        if last is None or failures < backoff_after:
            return None
        if failures >= lock_after:
            return last + self.lock
        doubling = 1 << min(failures - backoff_after, 30)
        return last + min(self.first_delay * doubling, self.lock)


@dataclass(frozen=True)
class Refusal:
    """A try refused without checking the password."""

    scope: Scope
    until: dt.datetime
    locked: bool


@dataclass(frozen=True)
class Attempt:
    """A try let through; report its result with :meth:`LoginThrottle.finish`."""

    id: int
    key: str
    address: str


@dataclass(frozen=True)
class Block:
    """A name or address that is waiting or locked now (for the admins' page)."""

    scope: Scope
    key: str
    failures: int
    until: dt.datetime
    locked: bool


@dataclass(frozen=True)
class Failure:
    """One recent failed or refused try."""

    at: dt.datetime
    name: str | None
    address: str | None
    outcome: str


class LoginThrottle:
    """Decides whether a login try may be checked, and remembers how it went."""

    def __init__(self, engine: AsyncEngine, policy: Policy | None = None) -> None:
        self.engine = engine
        self.policy = policy or Policy()
        #: The time the dashboard judges tries by (tests move it instead of sleeping).
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    async def begin(self, name: str, address: str, now: dt.datetime) -> Attempt | Refusal:
        """Record a try for *name* from *address*; refuse it when either must wait."""
        key = name_key(name)
        async with self.engine.begin() as conn:
            await conn.execute(delete(attempts).where(attempts.c.at < now - self.policy.window))
            inserted = await conn.execute(attempts.insert().values(
                at=now, user_name=key, address=address, outcome="pending"))
            row_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        refusal = None
        async with self.engine.connect() as conn:
            checks: tuple[tuple[Scope, str], ...] = (("name", key), ("address", address))
            for scope, value in checks:
                failures, last = await self._failures(conn, scope, value, now, row_id)
                until = self.policy.blocked_until(scope, failures, last)
                if until is not None and until > now:
                    refusal = Refusal(scope, until, failures >= self.policy.limits(scope)[1])
                    break
        # Marked after the counting connection is back in the pool: holding one connection
        # while waiting for another deadlocks the pool under a burst of tries.
        if refusal is None:
            return Attempt(row_id, key, address)
        await self._mark(row_id, "refused")
        log.warning("dashboard login refused for %s '%s' from %s: %d recent failures, %s "
                    "until %s", refusal.scope, key, address, failures,
                    "locked" if refusal.locked else "backing off", refusal.until.isoformat())
        return refusal

    async def finish(self, attempt: Attempt, ok: bool, now: dt.datetime) -> None:
        """Mark the try as a success or a failure (logged, name escaped, never the password)."""
        await self._mark(attempt.id, "success" if ok else "failure")
        if ok:
            return
        async with self.engine.connect() as conn:
            failures, _last = await self._failures(conn, "name", attempt.key, now)
        lock_after = self.policy.lock_after
        # The key is already escaped (name_key): logged as it is, between quotes.
        log.warning("dashboard login failed for '%s' from %s (%d recent failures%s)",
                    attempt.key, attempt.address, failures,
                    f"; locked for {self.policy.lock}" if failures >= lock_after else "")

    async def unlock(self, scope: Scope, key: str, now: dt.datetime, by: str) -> None:
        """Clear a name's or an address's failures (an admin's decision, logged)."""
        values = {"user_name": key} if scope == "name" else {"address": key}
        async with self.engine.begin() as conn:
            await conn.execute(attempts.insert().values(at=now, outcome="unlock", **values))
        log.warning("dashboard login %s '%s' unlocked by '%s'", scope, key, by)

    async def blocks(self, now: dt.datetime) -> list[Block]:
        """Every name and address that must wait right now, longest wait first."""
        found: list[Block] = []
        async with self.engine.connect() as conn:
            columns: tuple[tuple[Scope, Column[Any]], ...] = (
                ("name", attempts.c.user_name), ("address", attempts.c.address))
            for scope, column in columns:
                keys = (await conn.execute(
                    select(column).distinct().where(
                        column.is_not(None), attempts.c.outcome.in_(_COUNTED),
                        attempts.c.at >= now - self.policy.window))).scalars().all()
                for key in keys:
                    failures, last = await self._failures(conn, scope, key, now)
                    until = self.policy.blocked_until(scope, failures, last)
                    if until is not None and until > now:
                        locked = failures >= self.policy.limits(scope)[1]
                        found.append(Block(scope, key, failures, until, locked))
        return sorted(found, key=lambda b: b.until, reverse=True)

    async def recent_failures(self, limit: int = 20) -> list[Failure]:
        """The latest failed and refused tries, newest first."""
        query = (select(attempts).where(attempts.c.outcome.in_(("failure", "refused")))
                 .order_by(attempts.c.id.desc()).limit(limit))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Failure(r.at, r.user_name, r.address, r.outcome) for r in rows]

    async def _failures(self, conn: AsyncConnection, scope: Scope, key: str,
                        now: dt.datetime, exclude: int | None = None
                        ) -> tuple[int, dt.datetime | None]:
        column = attempts.c.user_name if scope == "name" else attempts.c.address
        resets = ("success", "unlock") if scope == "name" else ("unlock",)
        last_reset = select(func.coalesce(func.max(attempts.c.id), 0)).where(
            column == key, attempts.c.outcome.in_(resets)).scalar_subquery()
        where = [column == key, attempts.c.outcome.in_(_COUNTED), attempts.c.id > last_reset,
                 attempts.c.at >= now - self.policy.window]
        if exclude is not None:
            where.append(attempts.c.id != exclude)
        row = (await conn.execute(select(func.count(), func.max(attempts.c.at))
                                  .where(and_(*where)))).one()
        return int(row[0]), row[1]

    async def _mark(self, row_id: int, outcome: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(attempts).where(attempts.c.id == row_id)
                               .values(outcome=outcome))
