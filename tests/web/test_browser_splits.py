"""The A/B page in real headless Chromium: the seeded figures as a supervisor sees them."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ARTIFACTS
from tests.web.browser import browser, sign_in
from tests.web.conftest import SUPERVISOR, Dashboard
from tests.web.test_splits import _records

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]
SHOT = ARTIFACTS / "screenshots" / "20-ab-splits.png"


def _look(driver: webdriver.Chrome, base: str) -> dict[str, str]:
    wait = WebDriverWait(driver, 15)
    sign_in(driver, base, SUPERVISOR[0], SUPERVISOR[2])
    driver.find_element(By.LINK_TEXT, "A/B").click()
    wait.until(ec.url_contains("/splits"))
    driver.get(base + "splits?since=2026-11-25&until=2026-11-25")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "section.ab-split")))
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SHOT))
    figures = {f"figure:{c.get_attribute('data-figure')}": c.text.splitlines()[0]
               for c in driver.find_elements(By.CSS_SELECTOR, "[data-figure]")}
    tests = {f"test:{c.get_attribute('data-test')}": c.text
             for c in driver.find_elements(By.CSS_SELECTOR, "[data-test]")}
    return {**figures, **tests}


async def test_a_supervisor_compares_two_branches_in_a_real_browser(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    for record in _records():
        await dashboard.store.finish(record)
    await dashboard.store.flush()
    seen = await asyncio.to_thread(_look, browser, dashboard.url)
    assert seen["figure:calls-a"] == "40 (40)"
    assert seen["figure:csat-b"] == "4.00 (25)"
    assert seen["figure:contained-a"] == "25.0% (10/40)"
    assert seen["figure:contained-b"] == "62.5% (25/40)"
    assert seen["figure:to_agents-b"] == "37.5% (15/40)"
    assert seen["figure:no_match-a"] == "70.0% (28/40)"
    assert seen["figure:ivr_time-a"] == "0:37 (40)"
    assert seen["figure:nps-b"] == "+33.3 (15)"
    assert seen["test:contained-b"] == "higher than a (p < 0.001)"
    assert seen["test:abandoned-b"] == "not yet meaningful: too few calls"
    assert SHOT.stat().st_size > 10_000
