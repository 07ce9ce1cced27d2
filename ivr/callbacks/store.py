"""Callback requests in the call store's database (SQLite or PostgreSQL, same engine).

Every change of status is one conditional ``UPDATE`` (``WHERE status IN …``) plus a
history row in the same transaction, so two instances racing for one request
cannot both win. :meth:`CallbackStore.claim` takes due requests with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent claimers skip each
other's rows instead of waiting) and gives the claimer a lease; a request whose
lease ran out while ``dialling`` (its instance died) can be claimed again.
SQLite has no row locks: there the conditional update alone decides, which is
enough for the one instance SQLite supports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ivr.callbacks.model import OPEN, CallbackRequest, HistoryEntry, Status
from ivr.calls.store import schema
from ivr.flows.parts import Calendar

_T = schema.callbacks
_H = schema.callback_history


def _row(request: CallbackRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id, "call_id": request.call_id, "number": request.number,
        "queue": request.queue, "priority": request.priority, "flow": request.flow,
        "topic": request.topic,
        "calendar": request.calendar.model_dump(mode="json") if request.calendar else None,
        "context": request.context, "created_at": request.created_at,
        "not_before": request.not_before, "next_attempt_at": request.next_attempt_at,
        "expires_at": request.expires_at, "max_attempts": request.max_attempts,
        "attempts": request.attempts, "status": request.status, "reason": request.reason,
        "claimed_by": request.claimed_by, "lease_until": request.lease_until,
        "channel": request.channel, "agent": request.agent,
        "connected_at": request.connected_at,
    }


def _request(row: Mapping[Any, Any], history: Iterable[Mapping[Any, Any]] = ()) -> CallbackRequest:
    calendar = row["calendar"]
    return CallbackRequest(
        request_id=row["request_id"], call_id=row["call_id"], number=row["number"],
        queue=row["queue"], priority=row["priority"], flow=row["flow"], topic=row["topic"],
        calendar=Calendar.model_validate(calendar) if calendar else None,
        context=dict(row["context"] or {}), created_at=row["created_at"],
        not_before=row["not_before"], next_attempt_at=row["next_attempt_at"],
        expires_at=row["expires_at"], max_attempts=row["max_attempts"],
        attempts=row["attempts"], status=row["status"], reason=row["reason"],
        claimed_by=row["claimed_by"], lease_until=row["lease_until"], channel=row["channel"],
        agent=row["agent"], connected_at=row["connected_at"],
        history=[HistoryEntry(h["at"], h["status"], h["note"], dict(h["data"] or {}))
                 for h in history],
    )


class CallbackStore:
    """Durable callback requests on the call store's SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    async def add(self, request: CallbackRequest, note: str = "requested") -> None:
        """Store a new request with its first history entry."""
        async with self.engine.begin() as conn:
            await conn.execute(_T.insert().values(**_row(request)))
            await self._history(conn, request.request_id, request.created_at, request.status,
                                note, {"number": request.number, "queue": request.queue})

    async def get(self, request_id: str) -> CallbackRequest | None:
        """One request with its full history."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(_T).where(_T.c.request_id == request_id))
                   ).mappings().first()
            if row is None:
                return None
            history = (await conn.execute(select(_H).where(_H.c.request_id == request_id)
                                          .order_by(_H.c.id))).mappings().all()
        return _request(row, history)

    async def recent(self, statuses: Sequence[Status] | None = None,
                   limit: int = 200) -> list[CallbackRequest]:
        """Requests newest first (without history), optionally only in *statuses*."""
        query = select(_T).order_by(_T.c.created_at.desc(), _T.c.request_id).limit(limit)
        if statuses:
            query = query.where(_T.c.status.in_(statuses))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_request(r) for r in rows]

    async def by_channel(self, channel: str) -> CallbackRequest | None:
        """The request whose latest attempt runs on channel Uniqueid *channel*."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(_T.c.request_id).where(_T.c.channel == channel))
                   ).first()
        return await self.get(row[0]) if row else None

    async def due(self, now: dt.datetime, limit: int = 50) -> list[CallbackRequest]:
        """Requests a dispatcher could act on now (read only; :meth:`claim` takes them)."""
        query = select(_T).where(_T.c.status.in_(("pending", "dialling")),
                                 _T.c.next_attempt_at <= now,
                                 or_(_T.c.status == "pending", _T.c.lease_until < now)) \
            .order_by(_T.c.priority.desc(), _T.c.next_attempt_at).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_request(r) for r in rows]

    async def claim(self, now: dt.datetime, instance: str, lease_s: float,
                    limit: int = 5, ids: Sequence[str] | None = None) -> list[CallbackRequest]:
        """Take up to *limit* due requests for *instance*: they become ``dialling`` under a lease.

        Due: ``pending`` with ``next_attempt_at`` passed, or ``dialling`` whose lease
        expired (the claiming instance died; the attempt counter shows the lost try).
        *ids* restricts the claim to requests the caller found ready (their queue has an agent).
        """
        due = or_(and_(_T.c.status == "pending", _T.c.next_attempt_at <= now),
                  and_(_T.c.status == "dialling", _T.c.lease_until < now))
        lease = now + dt.timedelta(seconds=lease_s)
        claimed: list[str] = []
        async with self.engine.begin() as conn:
            query = select(_T.c.request_id, _T.c.status).where(due, _T.c.expires_at > now) \
                .order_by(_T.c.priority.desc(), _T.c.next_attempt_at).limit(limit)
            if ids is not None:
                query = query.where(_T.c.request_id.in_(ids))
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for request_id, status in (await conn.execute(query)).all():
                done = await conn.execute(
                    update(_T).where(_T.c.request_id == request_id, due)
                    .values(status="dialling", claimed_by=instance, lease_until=lease,
                            attempts=_T.c.attempts + 1, reason=None)
                )
                if done.rowcount == 1:
                    note = "taken over after the lease ran out" if status == "dialling" \
                        else "claimed"
                    await self._history(conn, request_id, now, "dialling", note,
                                        {"instance": instance})
                    claimed.append(request_id)
        return [r for r in [await self.get(i) for i in claimed] if r is not None]

    async def renew(self, request_id: str, instance: str, until: dt.datetime) -> bool:
        """Extend *instance*'s lease while its attempt is still under way."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(_T).where(_T.c.request_id == request_id, _T.c.claimed_by == instance,
                                 _T.c.status.in_(("dialling", "queued")))
                .values(lease_until=until))
        return bool(done.rowcount)

    async def change(self, request_id: str, status: Status, at: dt.datetime, note: str = "",
                     *, expect: Sequence[Status] = OPEN, data: Mapping[str, Any] | None = None,
                     owner: str | None = None, **values: Any) -> bool:
        """Move a request to *status* if it is in one of *expect*; False when it was not.

        *owner*: only if that instance still holds the claim. *values* are further
        columns to set (``next_attempt_at``, ``channel``, ``agent`` …).
        """
        where = [_T.c.request_id == request_id, _T.c.status.in_(expect)]
        if owner is not None:
            where.append(_T.c.claimed_by == owner)
        async with self.engine.begin() as conn:
            done = await conn.execute(update(_T).where(*where).values(status=status, **values))
            if done.rowcount != 1:
                return False
            await self._history(conn, request_id, at, status, note, dict(data or {}))
        return True

    async def cancel_for_number(self, number: str, at: dt.datetime, note: str) -> list[str]:
        """Cancel every pending request for *number* (the caller reached an agent another way).

        A request being dialled is left alone: that call is the callback itself.
        """
        async with self.engine.begin() as conn:
            ids = (await conn.execute(select(_T.c.request_id).where(
                _T.c.number == number, _T.c.status == "pending"))).scalars().all()
            cancelled = []
            for request_id in ids:
                done = await conn.execute(update(_T).where(
                    _T.c.request_id == request_id, _T.c.status == "pending")
                    .values(status="cancelled", reason=note[:128]))
                if done.rowcount == 1:
                    await self._history(conn, request_id, at, "cancelled", note)
                    cancelled.append(request_id)
        return cancelled

    async def in_flight(self, now: dt.datetime) -> dict[str, int]:
        """Per queue, requests being dialled under a live lease (not yet in the queue)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                select(_T.c.queue, func.count()).where(_T.c.status == "dialling",
                                                       _T.c.lease_until >= now)
                .group_by(_T.c.queue))).all()
        return {queue: int(n) for queue, n in rows}

    async def counts(self) -> dict[str, int]:
        """How many requests are in each status."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(_T.c.status, func.count())
                                       .group_by(_T.c.status))).all()
        return {status: int(n) for status, n in rows}

    async def _history(self, conn: AsyncConnection, request_id: str, at: dt.datetime,
                       status: Status, note: str, data: dict[str, Any] | None = None) -> None:
        await conn.execute(_H.insert().values(request_id=request_id, at=at, status=status,
                                              note=note[:256], data=data or {}))
