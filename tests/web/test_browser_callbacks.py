"""An admin steers callbacks in real headless Chromium: list, filter, cancel, metrics figures.

Screenshots land in ``test-artifacts/screenshots/`` (10-… to 12-…).
"""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from ivr.callbacks.store import CallbackStore
from tests.callbacks.seed import seed_callbacks
from tests.web.browser import browser, sign_in
from tests.web.conftest import ADMIN, Dashboard
from tests.web.test_browser import SHOTS, _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]


def _tour(driver: webdriver.Chrome, base: str, waiting: str) -> dict[str, object]:
    wait = WebDriverWait(driver, 15)
    sign_in(driver, base, ADMIN[0], ADMIN[2])
    driver.find_element(By.LINK_TEXT, "Callbacks").click()
    wait.until(ec.presence_of_element_located((By.ID, "callbacks")))
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#callbacks tbody tr")]
    requested = driver.find_element(By.CSS_SELECTOR, "#cb-requested .value").text
    _shot(driver, "10-callbacks")
    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-id="{waiting}"]')
    row.find_element(By.CSS_SELECTOR, 'button[value="cancel"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "message")))
    message = driver.find_element(By.ID, "message").text
    status = driver.find_element(By.CSS_SELECTOR, f'tr[data-id="{waiting}"] .badge').text
    _shot(driver, "11-callbacks-cancelled")
    driver.get(base + "metrics?since=2026-11-26&until=2026-11-26")
    wait.until(ec.presence_of_element_located((By.ID, "callback-figures")))
    completed = driver.find_element(By.CSS_SELECTOR, "#kpi-cb-completed .value").text
    _shot(driver, "12-metrics-callbacks")
    return {"rows": rows, "requested": requested, "message": message, "status": status,
            "completed": completed}


async def test_an_admin_cancels_a_callback_in_a_real_browser(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    ids = await seed_callbacks(CallbackStore(dashboard.store.engine))
    seen = await asyncio.to_thread(_tour, browser, dashboard.url, ids["waiting"])
    rows = seen["rows"]
    assert isinstance(rows, list)
    assert len(rows) == 5
    assert any("Agent Alice" in r and "connected" in r for r in rows)
    assert seen["requested"] == "5"
    assert seen["message"] == "+4930300: cancelled"
    assert seen["status"] == "cancelled"
    assert seen["completed"] == "2"
    for name in ("10-callbacks", "11-callbacks-cancelled", "12-metrics-callbacks"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
