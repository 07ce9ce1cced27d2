"""The wallboard and the agent's hand-off page against the real Asterisk 22, in headless Chromium.

A running service (FastAGI + AMI + live publisher) and the dashboard share one store. Calls
are ``Local/`` originates into ``tests/live/flows.yaml``: the IVR half runs the flow (keys
pressed by the other half after ``TEST_WAIT``), then ``Queue(support)``. Delays are measured
from the moment the service entered the node (wallboard) or Asterisk rang the agent
(hand-off) to the moment the open page showed it, and printed. Screenshots 30-36 land in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ivr.ami.client import AmiClient
from ivr.calls.store import open_store
from ivr.config import Config
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from ivr.web.app_keys import USERS
from tests.agi.live import originate
from tests.asterisk.fixtures import SERVICE_USER, AmiObserver, Sandbox, eventually
from tests.callbacks.live import call_in, fresh_number
from tests.conftest import ROOT
from tests.web.browser import browser, sign_in
from tests.web.conftest import SUPERVISOR, Dashboard, running_dashboard
from tests.web.test_browser import _shot

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]

FLOWS = Path(__file__).with_name("flows.yaml")
#: A test agent ([ivr-test-agent]: answers, talks a second, hangs up) only these tests use.
AGENT = "Local/4314@ivr-test-agent/n"
AGENT_LOGIN = ("dana", "agent", "headset on the desk")
#: Spanish, account 1234, PIN 9876 (sensitive), support. ``w`` is half a second.
KEYS = "2wwww1234wwww9876wwww2"


@dataclass
class Line:
    """The service under test and the dashboard on its store."""

    service: IvrService
    dashboard: Dashboard

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.service.server.port}"


@pytest.fixture
async def line(asterisk: Sandbox, tmp_path: Path) -> AsyncIterator[Line]:
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    async with running_dashboard(tmp_path, url) as dashboard:
        await dashboard.app[USERS].add(*AGENT_LOGIN, AGENT)
        config = Config()
        config.flows.path, config.flows.reload = FLOWS, False
        config.agi.port = 0
        config.recordings_dir = ROOT / "recordings"
        ami = AmiClient(asterisk.ami_host, asterisk.ami_port, *SERVICE_USER, min_backoff_s=0.1)
        service = IvrService(config, flows_loader(), engine_call_factory(),
                             store=await open_store(url), ami=ami, instance="live-e2e")
        await service.start()
        try:
            async with asyncio.timeout(20):
                await ami.wait_connected()
            yield Line(service, dashboard)
        finally:
            await service.close()


async def _entered(line: Line, call_id: str, node: str) -> float:
    """Wall-clock time the service entered *node* on *call_id* (its own timeline entry)."""
    async def there() -> bool:
        call = line.service.active.get(call_id)
        return call is not None and any(
            e.kind == "node_entered" and e.node == node for e in call.record.timeline)
    await eventually(there, within_s=30)
    record = line.service.active[call_id].record
    return next(e.at for e in record.timeline
                if e.kind == "node_entered" and e.node == node).timestamp()


def _wait(driver: webdriver.Chrome, check: object, within_s: float = 30) -> float:
    """Wait (polling every 20 ms) until *check(driver)* holds; return the wall-clock time."""
    WebDriverWait(driver, within_s, poll_frequency=0.02).until(check)  # type: ignore[arg-type]
    return time.time()


def _text(driver: webdriver.Chrome, css: str) -> str:
    # Read in one script call: the page redraws its tiles on every message, so an element
    # found first and read later may already be gone.
    return str(driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css))


def _tile(driver: webdriver.Chrome, queue: str) -> str:
    return _text(driver, f'.tile[data-queue="{queue}"]')


def _open_wallboard(driver: webdriver.Chrome, base: str) -> dict[str, str]:
    sign_in(driver, base, SUPERVISOR[0], SUPERVISOR[2])
    driver.get(base + "live")
    _wait(driver, lambda d: _text(d, "#live-status") == "live"
          and _tile(d, "support") != "", 15)
    driver.execute_script("window.__same_page = 1")
    _shot(driver, "30-wallboard-idle")
    return {"support": _tile(driver, "support"), "sales": _tile(driver, "sales"),
            "in_ivr": _text(driver, "#kpi-in-ivr .value")}


async def test_the_wallboard_follows_a_real_call(
        line: Line, ami_observer: AmiObserver, browser: webdriver.Chrome) -> None:
    base = line.dashboard.url
    idle = await asyncio.to_thread(_open_wallboard, browser, base)
    assert idle["in_ivr"] == "0"
    assert "0 waiting" in idle["support"]
    at_node = asyncio.create_task(asyncio.to_thread(
        _wait, browser, lambda d: "choose_language" in _text(d, "#live-calls")))
    call_id = await originate(ami_observer, line.url, KEYS, wait_s=4, hold_s=120)
    entered = await _entered(line, call_id, "choose_language")
    seen = await at_node
    delay = seen - entered
    print(f"wallboard showed the call at main/choose_language {delay:.3f} s after it got there")
    await asyncio.to_thread(_shot, browser, "31-wallboard-call-at-node")
    assert await asyncio.to_thread(_text, browser, "#kpi-in-ivr .value") == "1"
    assert delay < 1.0

    # The call leaves the IVR for Queue(support): out of the IVR, waiting in the tile.
    joined = await asyncio.to_thread(ami_observer.wait_for, lambda e: e.get(
        "Event") == "QueueCallerJoin" and e.get("Uniqueid") == call_id, 60)
    await asyncio.to_thread(_wait, browser, lambda d: "1 waiting" in _tile(d, "support")
                            and _text(d, "#kpi-in-ivr .value") == "0", 10)
    # The longest wait counts up on its own while the caller waits (no event in between).
    await asyncio.to_thread(_wait, browser, lambda d: re.search(
        r"1 waiting · longest 0:0[2-9]", _tile(d, "support")) is not None, 10)
    await asyncio.to_thread(_shot, browser, "32-wallboard-queue-waiting")

    # An agent logged in over AMI (to the other queue, so it does not take this caller).
    added = await asyncio.to_thread(ami_observer.action, "QueueAdd", Queue="sales",
                                    Interface=AGENT, MemberName="Agent Dana")
    assert added["Response"] == "Success", added
    try:
        await asyncio.to_thread(_wait, browser, lambda d: "1 agents: 1 free" in _tile(d, "sales"),
                                10)
        await asyncio.to_thread(_shot, browser, "33-wallboard-agent-free")
        assert "1 waiting" in await asyncio.to_thread(_tile, browser, "support")
    finally:
        await asyncio.to_thread(ami_observer.action, "QueueRemove", Queue="sales",
                                Interface=AGENT)
    # The caller hangs up: every count is back where it started, on the same page.
    await asyncio.to_thread(ami_observer.action, "Hangup", Channel=joined["Channel"])
    await asyncio.to_thread(_wait, browser, lambda d: _tile(d, "support") == idle["support"]
                            and _tile(d, "sales") == idle["sales"]
                            and _text(d, "#kpi-in-ivr .value") == "0", 15)
    await asyncio.to_thread(_shot, browser, "34-wallboard-back-to-idle")
    assert await asyncio.to_thread(browser.execute_script, "return window.__same_page") == 1
    await asyncio.to_thread(browser.get, "about:blank")


def _open_agent_page(driver: webdriver.Chrome, base: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "login")
    driver.find_element(By.NAME, "name").send_keys(AGENT_LOGIN[0])
    driver.find_element(By.NAME, "password").send_keys(AGENT_LOGIN[2])
    driver.find_element(By.CSS_SELECTOR, "button.primary").click()
    _wait(driver, lambda d: d.current_url.endswith("/agent")
          and _text(d, "#agent-status") == "live", 15)
    driver.execute_script("window.__same_page = 1")


def _refused(driver: webdriver.Chrome, base: str, path: str) -> str:
    driver.get(base + path.lstrip("/"))
    return str(driver.title)


async def test_the_agent_sees_the_ringing_callers_journey_and_nothing_else(
        line: Line, ami_observer: AmiObserver, browser: webdriver.Chrome) -> None:
    base = line.dashboard.url
    await asyncio.to_thread(_open_agent_page, browser, base)
    number = fresh_number()
    call_id = await call_in(ami_observer, line.url, number, KEYS, hold_s=120)
    await asyncio.to_thread(ami_observer.wait_for, lambda e: e.get(
        "Event") == "QueueCallerJoin" and e.get("Uniqueid") == call_id, 60)
    panel_css = f'#handoff[data-call="{call_id}"]'
    shown = asyncio.create_task(asyncio.to_thread(
        _wait, browser, lambda d: _text(d, panel_css) != ""))

    def rang() -> float:
        ami_observer.wait_for(lambda e: e.get("Event") == "AgentCalled"
                              and e.get("Uniqueid") == call_id
                              and e.get("Interface") == AGENT, 30)
        return time.time()

    ringing = asyncio.create_task(asyncio.to_thread(rang))
    # The member name is the agent's login: the stored "answered by" then names them.
    added = await asyncio.to_thread(ami_observer.action, "QueueAdd", Queue="support",
                                    Interface=AGENT, MemberName=AGENT_LOGIN[0])
    assert added["Response"] == "Success", added
    try:
        rung_at, seen_at = await ringing, await shown
        delay = seen_at - rung_at
        print(f"agent page showed the caller's journey {delay:.3f} s after AgentCalled")
        await asyncio.to_thread(_shot, browser, "35-agent-handoff")
        panel = await asyncio.to_thread(_text, browser, "#handoff")
        source = await asyncio.to_thread(lambda: str(browser.page_source))
    finally:
        await asyncio.to_thread(ami_observer.action, "QueueRemove", Queue="support",
                                Interface=AGENT)
    assert delay < 1.0
    assert await asyncio.to_thread(browser.execute_script, "return window.__same_page") == 1
    assert f"Ringing now: {number}" in panel or f"On the call: {number}" in panel
    assert "Language\nes" in panel
    assert "choose_language: key 2 (by dtmf)" in panel
    assert "main_menu: support (by dtmf)" in panel
    assert "ask_account: 1234" in panel
    assert "account = 1234" in panel
    assert "ask_pin: 4 digits, hidden" in panel
    assert "Asked for a callback\nno" in panel
    assert "9876" not in source  # the PIN never reaches the agent's page
    # Every other page, another caller's call first, is refused with the styled 403.
    for path in ("/calls/c3", "/calls", "/live", "/metrics", "/users"):
        title = await asyncio.to_thread(_refused, browser, base, path)
        assert title.startswith("403 Not allowed"), (path, title)
        if path == "/calls/c3":
            await asyncio.to_thread(_shot, browser, "36-agent-refused-other-call")

    async def answered() -> bool:
        record = await line.dashboard.store.get(call_id)
        return record is not None and record.agent == AGENT_LOGIN[0]
    await eventually(answered, within_s=30)
    own = await asyncio.to_thread(_refused, browser, base, f"/calls/{call_id}")
    assert own.startswith("Call "), own  # the agent's own call opens
    await asyncio.to_thread(browser.get, "about:blank")
