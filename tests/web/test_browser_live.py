"""The wallboard in real headless Chromium: a call shows up without a reload (delay printed).

Two publishers stand for two ``ivr serve`` instances sharing the store. Screenshots land in
``test-artifacts/screenshots/`` (15-live-quiet, 16-live-call).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ivr.live.publisher import LivePublisher
from ivr.live.state import payload
from tests.web.browser import browser, sign_in
from tests.web.conftest import ADMIN, SUPERVISOR, Dashboard
from tests.web.test_browser import SHOTS, _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]

QUEUES = {"sales": {"waiting": 7, "longest_s": 200.0, "estimated_s": 240.0, "logged_in": 3,
                    "free": 0, "paused": 1, "busy": 2}}


def _open(driver: webdriver.Chrome, base: str) -> str:
    sign_in(driver, base, SUPERVISOR[0], SUPERVISOR[2])
    driver.get(base + "live")
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "live-status").text == "live")
    _shot(driver, "15-live-quiet")
    return str(driver.find_element(By.ID, "live-calls").text)


def _seen(driver: webdriver.Chrome) -> dict[str, object]:
    WebDriverWait(driver, 5, poll_frequency=0.02).until(
        lambda d: "main_menu" in d.find_element(By.ID, "live-calls").text)
    seen = time.monotonic()
    _shot(driver, "16-live-call")
    return {"at": seen, "calls": driver.find_element(By.ID, "live-calls").text,
            "in_ivr": driver.find_element(By.CSS_SELECTOR, "#kpi-in-ivr .value").text,
            "tile": driver.find_element(By.CSS_SELECTOR, ".tile[data-queue=sales]")
            .get_attribute("class"),
            "same_page": driver.execute_script("return window.__same_page")}


async def test_a_call_appears_on_the_wallboard_without_reload(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    calls_a: list[tuple[str, str]] = []
    calls_b: list[tuple[str, str]] = [("account", "ask_pin")]
    a = LivePublisher(dashboard.store.engine, "a", lambda: payload(calls_a, QUEUES))
    b = LivePublisher(dashboard.store.engine, "b", lambda: payload(calls_b, {}))
    a.start()
    b.start()
    try:
        before = await asyncio.to_thread(_open, browser, dashboard.url)
        assert "main_menu" not in before
        assert "ask_pin" in before
        marker = browser.execute_script("window.__same_page = 1; return 1")
        started = time.monotonic()
        calls_a.append(("main", "main_menu"))
        seen = await asyncio.to_thread(_seen, browser)
    finally:
        # Leave the page: its open event stream would hold the test server's shutdown.
        await asyncio.to_thread(browser.get, "about:blank")
        await a.close()
        await b.close()
    delay = float(str(seen["at"])) - started
    print(f"wallboard showed the new call {delay:.3f} s after it entered main_menu")
    assert marker == 1
    assert seen["same_page"] == 1  # the page that was open, not a reload
    assert seen["in_ivr"] == "2"
    assert "red" in str(seen["tile"])  # 7 waiting, 200 s: past the default red thresholds
    assert delay < 1.0
    assert (SHOTS / "16-live-call.png").stat().st_size > 10_000


def _set_thresholds(driver: webdriver.Chrome, base: str) -> dict[str, str]:
    sign_in(driver, base, ADMIN[0], ADMIN[2])
    driver.get(base + "live")
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "live-status").text == "live")
    before = str(driver.find_element(By.CSS_SELECTOR, ".tile[data-queue=sales]")
                 .get_attribute("class"))
    for name, value in (("wait_amber_s", "30"), ("wait_red_s", "600"),
                        ("waiting_amber", "2"), ("waiting_red", "20")):
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#live-thresholds button.primary").click()
    # The POST loads a new page and the wallboard redraws its tiles from the stream, so an
    # element found a moment ago may be gone: look again until the page settles.
    settled = WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,))
    settled.until(lambda d: "thresholds saved" in d.find_element(By.ID, "live-thresholds").text)
    settled.until(lambda d: d.find_element(By.ID, "live-status").text == "live")
    _shot(driver, "17-live-thresholds")
    after = str(settled.until(lambda d: d.find_element(
        By.CSS_SELECTOR, ".tile[data-queue=sales]").get_attribute("class")))
    driver.get("about:blank")
    return {"before": before, "after": after}


async def test_an_admin_sets_the_thresholds_in_the_page(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    quiet = {"sales": {**QUEUES["sales"], "waiting": 2, "longest_s": 45.0}}
    publisher = LivePublisher(dashboard.store.engine, "a", lambda: payload([], quiet))
    publisher.start()
    try:
        seen = await asyncio.to_thread(_set_thresholds, browser, dashboard.url)
    finally:
        await publisher.close()
    assert "ok" in seen["before"].split()  # defaults: amber at 60 s or 3 waiting
    assert "amber" in seen["after"].split()  # 45 s past 30, 2 waiting reaches 2
