"""A scripted stand-in for Asterisk's side of one FastAGI connection (real loopback sockets)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import yaml
from aiohttp import web

from ivr.agi.protocol import HANGUP_SOURCE_PROBE, encode_request, split_like_asterisk
from ivr.bench.agi_peer import hangup_source_reply
from ivr.flows.flowset import FlowSet
from ivr.flows.model import FlowFile

#: Where the lookup node of tests/agi/flows/session.yaml sends its request.
LOOKUP_PORT = 18931
FLOWS = Path(__file__).with_name("flows") / "session.yaml"
RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"


def flowset() -> FlowSet:
    """The small test flows of tests/agi/flows/session.yaml (``main`` only)."""
    document = FlowFile.model_validate(yaml.safe_load(FLOWS.read_text()))
    return FlowSet(document=document, version="test-v1", sources=(FLOWS,))


@contextlib.asynccontextmanager
async def stalled_lookup(
    port: int = LOOKUP_PORT, answer_after_s: float | None = None
) -> AsyncIterator[asyncio.Event]:
    """A lookup backend whose ``/account`` never answers while the block runs.

    Yields an event set when the request arrives, so a test can hang up mid-lookup. With
    *answer_after_s*, it answers that long after each request instead (a slow backend).
    """
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        if answer_after_s is None:
            await release.wait()
        else:
            await asyncio.sleep(answer_after_s)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/account", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield started
    finally:
        release.set()
        await runner.cleanup()


def header(script: str = "main", uniqueid: str = "1700000000.1", **extra: str) -> bytes:
    """Build the header block Asterisk sends for ``AGI(agi://127.0.0.1/<script>)``."""
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1/{script}",
        "agi_channel": "Local/s@test-00000001;2",
        "agi_uniqueid": uniqueid,
        "agi_callerid": "0212345678",
        "agi_dnid": "1000",
        **{f"agi_{k}": v for k, v in extra.items()},
    }
    return encode_request(env)


class FakeAsterisk:
    """Asterisk's end of a FastAGI connection: reads command lines, sends scripted replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, script: str = "main", **extra: str) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(header(script, **extra))
        await writer.drain()
        return cls(reader, writer)

    async def command(self) -> list[str]:
        """Read the next command, split as Asterisk splits it ([] at EOF)."""
        line = await asyncio.wait_for(self.reader.readline(), 5)
        return split_like_asterisk(line.decode()) if line else []

    async def reply(self, text: str) -> None:
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()

    async def expect(self, *words: str, reply: str = "200 result=0") -> list[str]:
        got = await self.command()
        assert got[: len(words)] == list(words), got
        await self.reply(reply)
        return got

    async def answer_hangup_question(self, source: str) -> None:
        """Answer the service's question after a hang-up as Asterisk does (dead mode).

        *source* is the channel's hang-up source: its own name when the caller's side hung
        up, ``""`` when Asterisk hung it up itself (shutdown, CLI, AMI).
        """
        await self.expect("GET", "FULL", "VARIABLE", HANGUP_SOURCE_PROBE,
                          reply=hangup_source_reply(source))

    async def closed_by_server(self) -> bool:
        data = await asyncio.wait_for(self.reader.read(), 5)
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
