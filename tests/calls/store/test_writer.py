"""The background writer keeps order, batches, retries outages and isolates a bad write."""

from __future__ import annotations

import asyncio

from ivr.calls.store.writer import BackgroundWriter, Write


class Outage(Exception):
    pass


class Bug(Exception):
    pass


class Db:
    """An in-memory 'database' whose transactions are all-or-nothing."""

    def __init__(self, outages: int = 0) -> None:
        self.rows: list[str] = []
        self.transactions: list[int] = []
        self.outages = outages

    async def transaction(self, batch: list[Write[list[str]]]) -> None:
        if self.outages:
            self.outages -= 1
            raise Outage("database restarting")
        staged = list(self.rows)
        for write in batch:
            await write(staged)
        self.rows = staged
        self.transactions.append(len(batch))


def add(value: str) -> Write[list[str]]:
    async def write(rows: list[str]) -> None:
        if value == "bad":
            raise Bug("cannot apply")
        rows.append(value)

    return write


def transient(exc: BaseException) -> bool:
    return isinstance(exc, Outage)


async def test_writes_apply_in_order_and_batch_while_a_commit_runs() -> None:
    db = Db()
    writer: BackgroundWriter[list[str]] = BackgroundWriter(db.transaction, transient)
    for i in range(50):
        writer.submit(add(str(i)))
    await writer.flush()
    assert db.rows == [str(i) for i in range(50)]
    assert len(db.transactions) < 50  # submitted together, committed together
    await writer.close()


async def test_an_outage_is_retried_until_the_database_is_back() -> None:
    db = Db(outages=3)
    writer: BackgroundWriter[list[str]] = BackgroundWriter(db.transaction, transient)
    writer.submit(add("a"))
    writer.submit(add("b"))
    await asyncio.wait_for(writer.flush(), 5)
    assert db.rows == ["a", "b"]
    await writer.close()


async def test_one_bad_write_is_dropped_alone_and_the_rest_are_kept() -> None:
    db = Db()
    writer: BackgroundWriter[list[str]] = BackgroundWriter(db.transaction, transient)
    for value in ("a", "bad", "c"):
        writer.submit(add(value))
    await asyncio.wait_for(writer.flush(), 5)
    assert db.rows == ["a", "c"]
    writer.submit(add("d"))
    await writer.flush()
    assert db.rows == ["a", "c", "d"]
    await writer.close()


async def test_a_write_s_future_completes_when_its_transaction_commits() -> None:
    db = Db(outages=2)
    writer: BackgroundWriter[list[str]] = BackgroundWriter(db.transaction, transient)
    done = writer.submit(add("a"))
    assert not done.done()
    await asyncio.wait_for(done, 5)
    assert db.rows == ["a"]  # not before: the outage was waited out first
    assert writer.commits == 1
    await writer.close()


async def test_a_bad_write_s_future_carries_its_error_and_the_others_succeed() -> None:
    db = Db()
    writer: BackgroundWriter[list[str]] = BackgroundWriter(db.transaction, transient)
    futures = [writer.submit(add(value)) for value in ("a", "bad", "c")]
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 5)
    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], Bug)
    await writer.close()
