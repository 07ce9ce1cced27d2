"""A supervisor's tour in real headless Chromium: log in, filter, open a call, play it, metrics.

Screenshots of every page land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ARTIFACTS
from tests.web.browser import browser
from tests.web.conftest import SUPERVISOR, Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]
SHOTS = ARTIFACTS / "screenshots"


def _shot(driver: webdriver.Chrome, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Full page height, so the screenshot shows everything a supervisor would scroll to.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, max(900, min(int(height) + 40, 4000)))
    assert driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1366, 900)


def _tour(driver: webdriver.Chrome, base: str) -> dict[str, object]:
    wait = WebDriverWait(driver, 15)
    driver.delete_all_cookies()
    driver.get(base + "calls")
    wait.until(ec.url_contains("/login"))  # strangers are sent to the login page
    _shot(driver, "01-login")
    driver.find_element(By.NAME, "name").send_keys(SUPERVISOR[0])
    driver.find_element(By.NAME, "password").send_keys(SUPERVISOR[2])
    driver.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.calls")))
    all_rows = len(driver.find_elements(By.CSS_SELECTOR, "table.calls tbody tr"))
    _shot(driver, "02-calls")

    Select(driver.find_element(By.NAME, "outcome")).select_by_value("voicemail")
    driver.find_element(By.CSS_SELECTOR, "#filters button.primary").click()
    wait.until(ec.url_contains("outcome=voicemail"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.calls tbody tr")
    filtered = [r.text for r in rows]
    _shot(driver, "03-calls-filtered")

    rows[0].find_element(By.TAG_NAME, "a").click()
    wait.until(ec.presence_of_element_located((By.ID, "recording")))
    journey = driver.find_element(By.CSS_SELECTOR, ".timeline").text
    diagram_loaded = driver.execute_script(
        "const i = document.querySelector('.diagram img'); return i.complete && i.naturalWidth")
    played = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const a = document.getElementById('recording');
        a.muted = true;
        a.play().then(() => setTimeout(() => done({paused: a.paused, time: a.currentTime,
                                                   duration: a.duration, ready: a.readyState}),
                                       700))
                .catch(e => done({error: String(e)}));
    """)
    _shot(driver, "04-call")

    driver.find_element(By.LINK_TEXT, "Metrics").click()
    driver.get(base + "metrics?since=2026-11-20&until=2026-11-21")
    wait.until(ec.presence_of_element_located((By.ID, "kpi-containment")))
    containment = driver.find_element(By.CSS_SELECTOR, "#kpi-containment .value").text
    charts = len(driver.find_elements(By.CSS_SELECTOR, ".chart svg"))
    _shot(driver, "05-metrics")

    driver.find_element(By.LINK_TEXT, "Flows").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".diagram img")))
    # Diagrams load lazily: bring each into view, then wait until every one has drawn.
    driver.execute_script(
        "document.querySelectorAll('.diagram img').forEach(i => i.scrollIntoView());"
        "window.scrollTo(0, 0);")
    wait.until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.diagram img')]"
        ".every(i => i.complete && i.naturalWidth > 0);"))
    flow_diagrams = driver.execute_script(
        "return [...document.querySelectorAll('.diagram img')].map(i => i.naturalWidth > 0);")
    _shot(driver, "06-flows")
    return {"all_rows": all_rows, "filtered": filtered, "journey": journey,
            "diagram": diagram_loaded, "played": played, "containment": containment,
            "charts": charts, "flow_diagrams": flow_diagrams}


async def test_a_supervisor_reviews_calls_in_a_real_browser(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    # Selenium blocks; the dashboard runs on this event loop, so the browser works in a thread.
    seen = await asyncio.to_thread(_tour, browser, dashboard.url)
    assert seen["all_rows"] == 11
    filtered = seen["filtered"]
    assert isinstance(filtered, list)
    assert len(filtered) == 1
    assert "Voicemail" in filtered[0]
    assert "ended: voicemail" in str(seen["journey"])
    assert seen["diagram"]  # the flow picture with the caller's path rendered
    played = seen["played"]
    assert isinstance(played, dict)
    assert "error" not in played, played
    assert played["paused"] is False
    assert played["time"] > 0
    assert abs(played["duration"] - 2.0) < 0.05  # the real 2-second WAV
    assert seen["containment"] == "20.0%"
    assert isinstance(seen["charts"], int)
    assert seen["charts"] >= 4
    assert seen["flow_diagrams"] == [True] * 4  # account, csat, korean, main all drawn
    for name in ("01-login", "02-calls", "03-calls-filtered", "04-call", "05-metrics",
                 "06-flows"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
