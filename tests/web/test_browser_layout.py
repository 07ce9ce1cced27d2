"""Layout details a supervisor noticed, measured in real headless Chromium."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import browser, sign_in
from tests.web.conftest import ADMIN, Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]


def _measure(driver: webdriver.Chrome, base: str) -> dict[str, object]:
    wait = WebDriverWait(driver, 15)
    sign_in(driver, base, ADMIN[0], ADMIN[2])
    driver.get(base + "calls?outcome=voicemail")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.calls tbody tr")))
    columns = driver.execute_script("""
        const heads = [...document.querySelectorAll('table.calls thead th')]
            .map(t => t.textContent);
        const badge = [...document.querySelectorAll('table.calls tbody .badge')]
            .find(b => b.textContent.trim() === 'message');
        return {heads, at: badge ? [...badge.closest('tr').children].indexOf(badge.closest('td'))
                                : -1};""")
    driver.get(base + "users")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.calls")))
    gap = driver.execute_script("""
        const table = document.querySelector('table.calls').getBoundingClientRect();
        const card = document.querySelector('table.calls ~ section.card').getBoundingClientRect();
        return card.top - table.bottom;""")
    return {"columns": columns, "gap": gap}


async def test_message_badge_sits_under_outcome_and_users_table_keeps_its_distance(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    seen = await asyncio.to_thread(_measure, browser, dashboard.url)
    columns = seen["columns"]
    assert isinstance(columns, dict)
    assert columns["at"] == columns["heads"].index("Outcome"), columns
    gap = seen["gap"]
    assert isinstance(gap, int | float)
    assert gap >= 12
