"""A dashboard over a seeded store, served for real on a local port, and its users.

``dashboard`` runs on SQLite; ``any_dashboard`` runs the same on SQLite and on PostgreSQL
(for what the database decides: the login throttle, values PostgreSQL refuses).
"""

from __future__ import annotations

import re
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.calls.store import SqlStore, open_store
from ivr.config import Config
from ivr.web.app import make_app
from ivr.web.auth import Handler
from ivr.web.users import Users
from tests.calls.seed import seed
from tests.conftest import ROOT

Client = TestClient[web.Request, web.Application]
ADMIN = ("alice", "admin", "correct horse battery")
SUPERVISOR = ("bob", "supervisor", "staple paper clip")


def write_wav(path: Path, seconds: float = 2.0) -> None:
    """A real 8 kHz mono 16-bit WAV with a tone, like a voicemail."""
    import math

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(8000 * seconds)):
        sample = int(8000 * math.sin(2 * math.pi * 440 * i / 8000))
        frames += sample.to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(frames))


@dataclass
class Dashboard:
    """The running app, its store and where it keeps recordings."""

    app: web.Application
    store: SqlStore
    config: Config
    server: TestServer

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[Dashboard]:
    async with running_dashboard(tmp_path, f"sqlite:///{tmp_path / 'calls.sqlite3'}") as served:
        yield served


@pytest.fixture
async def any_dashboard(tmp_path: Path, store_url: str) -> AsyncIterator[Dashboard]:
    """The dashboard on each backend (PostgreSQL's database is wiped afterwards)."""
    async with running_dashboard(tmp_path, store_url) as served:
        yield served


@asynccontextmanager
async def running_dashboard(tmp_path: Path, url: str, extra_routes: list[tuple[str, Handler]]
                            | None = None, **settings: object) -> AsyncIterator[Dashboard]:
    """The seeded dashboard on the store at *url*; *settings* go to the ``[web]`` section.

    *extra_routes* (path, handler) are added as GET routes, e.g. one that fails on purpose.
    """
    config = Config.model_validate({
        "flows": {"path": str(ROOT / "flows.yaml")},
        "store": {"url": url},
        "recordings_dir": str(tmp_path / "recordings"),
        "web": settings,
    })
    store = await open_store(config.store.url)
    await seed(store)
    # c9 left a voicemail; its file sits where the service would have written it.
    record = await store.get("c9")
    assert record is not None
    record.recording = "voicemail/c9-after_hours.wav"
    record.path = ["choose_language", "check_hours", "after_hours"]
    await store.finish(record)
    await store.flush()
    write_wav(config.recordings_dir / "voicemail" / "c9-after_hours.wav")
    users = Users(store.engine)
    for name, role, password in (ADMIN, SUPERVISOR):
        await users.add(name, role, password)
    app = make_app(config, store)
    for path, handler in extra_routes or []:
        app.router.add_get(path, handler)
    server = TestServer(app)
    await server.start_server()
    try:
        yield Dashboard(app, store, config, server)
    finally:
        await server.close()
        await store.close()


@asynccontextmanager
async def client_of(dashboard: Dashboard,
                    login: tuple[str, str, str] | None = None) -> AsyncIterator[Client]:
    """A browser on *dashboard*, logged in as *login* (name, role, password) when given."""
    client = TestClient(dashboard.server)
    await client.start_server()
    try:
        if login is not None:
            await log_in(client, login[0], login[2])
        yield client
    finally:
        await client.close()


@pytest.fixture
async def anonymous(dashboard: Dashboard) -> AsyncIterator[TestClient[web.Request,
                                                                           web.Application]]:
    client = TestClient(dashboard.server)
    await client.start_server()
    yield client
    await client.close()


async def log_in(client: TestClient[web.Request, web.Application], name: str,
                 password: str) -> str:
    """Log *client* in through the form; return the session's CSRF token."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    done = await client.post("/login", data={"name": name, "password": password,
                                             "csrf_token": token.group(1), "next": "/calls"},
                             allow_redirects=False)
    assert done.status == 303, await done.text()
    calls = await client.get("/calls")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', await calls.text())
    assert csrf is not None
    return csrf.group(1)


@pytest.fixture
async def supervisor(dashboard: Dashboard) -> AsyncIterator[tuple[TestClient[web.Request,
                                                                             web.Application],
                                                                  str]]:
    client = TestClient(dashboard.server)
    await client.start_server()
    csrf = await log_in(client, SUPERVISOR[0], SUPERVISOR[2])
    yield client, csrf
    await client.close()


@pytest.fixture
async def admin(dashboard: Dashboard) -> AsyncIterator[tuple[TestClient[web.Request,
                                                                        web.Application], str]]:
    client = TestClient(dashboard.server)
    await client.start_server()
    csrf = await log_in(client, ADMIN[0], ADMIN[2])
    yield client, csrf
    await client.close()

