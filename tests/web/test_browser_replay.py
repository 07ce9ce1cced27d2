"""The replay page in real headless Chromium: an admin replays a period through a changed file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import ARTIFACTS
from tests.web.browser import browser, sign_in
from tests.web.conftest import ADMIN, Dashboard
from tests.web.replay_seed import PERIOD, SWAPPED, seed_replay

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]
SHOT = ARTIFACTS / "screenshots" / "21-replay.png"


def _replay(driver: webdriver.Chrome, base: str) -> dict[str, str]:
    wait = WebDriverWait(driver, 30)
    sign_in(driver, base, ADMIN[0], ADMIN[2])
    driver.find_element(By.LINK_TEXT, "Replay").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.replay-form")))
    for name, value in PERIOD.items():
        # Date inputs take typed text in the browser's locale; set the value as a user's pick.
        field = driver.find_element(By.NAME, name)
        driver.execute_script("arguments[0].value = arguments[1]", field, value)
    Select(driver.find_element(By.NAME, "file")).select_by_visible_text(SWAPPED)
    driver.find_element(By.CSS_SELECTOR, "form.replay-form button").click()
    wait.until(ec.presence_of_element_located((By.ID, "replayed-calls")))
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SHOT))
    seen = {f"count:{e.get_attribute('data-count')}": e.text
            for e in driver.find_elements(By.CSS_SELECTOR, "[data-count]")}
    seen.update({f"cell:{e.get_attribute('data-cell')}": e.text
                 for e in driver.find_elements(By.CSS_SELECTOR, "td.moved")})
    seen["divergence"] = driver.find_element(By.CSS_SELECTOR, "[data-divergence]").text
    driver.find_element(By.LINK_TEXT, "balance-0").click()
    wait.until(ec.url_contains("/calls/balance-0"))
    seen["call page"] = f"{driver.current_url} {driver.find_element(By.TAG_NAME, 'h1').text}"
    return seen


async def test_an_admin_replays_a_period_in_a_real_browser(
        dashboard: Dashboard, browser: webdriver.Chrome, tmp_path: Path) -> None:
    await seed_replay(dashboard, tmp_path)
    seen = await asyncio.to_thread(_replay, browser, dashboard.url)
    assert seen["count:same"] == "14"
    assert seen["count:changed"] == "4"
    assert seen["count:not_replayable"] == "4"
    assert seen["cell:self_service → queue billing"] == "2"
    assert seen["cell:abandoned at ask_pin → queue billing"] == "2"
    assert seen["cell:queue billing → not replayable"] == "4"
    assert seen["divergence"] == "8"
    assert seen["call page"].endswith("/calls/balance-0 Call from +15550000000")
    assert SHOT.stat().st_size > 10_000
