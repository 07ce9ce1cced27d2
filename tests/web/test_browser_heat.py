"""The heat map and a goto call's two diagrams in real headless Chromium, with screenshots.

Screenshots land in ``test-artifacts/screenshots/`` (13-heat-map, 14-call-goto).
"""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import browser, sign_in
from tests.web.conftest import SUPERVISOR, Dashboard
from tests.web.test_browser import SHOTS, _shot
from tests.web.test_heat import PERIOD, seed_heat

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]

_DRAWN = ("return [...document.querySelectorAll('.diagram img')]"
          ".map(i => i.complete ? i.naturalWidth : 0);")


def _tour(driver: webdriver.Chrome, base: str) -> dict[str, object]:
    wait = WebDriverWait(driver, 15)
    sign_in(driver, base, SUPERVISOR[0], SUPERVISOR[2])

    driver.get(base + f"flows/main/heat?{PERIOD}")
    wait.until(lambda d: all(w > 0 for w in d.execute_script(_DRAWN)))
    heat_widths = driver.execute_script(_DRAWN)
    spots = driver.find_element(By.ID, "hot-spots").text
    _shot(driver, "13-heat-map")

    driver.get(base + "calls/h1")
    wait.until(lambda d: len(d.execute_script(_DRAWN)) == 2
               and all(w > 0 for w in d.execute_script(_DRAWN)))
    call_widths = driver.execute_script(_DRAWN)
    _shot(driver, "14-call-goto")
    return {"heat": heat_widths, "spots": spots, "call": call_widths}


async def test_the_heat_map_and_goto_panels_draw_in_a_real_browser(
        dashboard: Dashboard, browser: webdriver.Chrome) -> None:
    await seed_heat(dashboard.store)
    seen = await asyncio.to_thread(_tour, browser, dashboard.url)
    heat = seen["heat"]
    assert isinstance(heat, list)
    assert len(heat) == 1
    assert heat[0] > 500  # the diagram drew at a readable size
    assert "main_menu" in str(seen["spots"])
    assert "calls lost here" in str(seen["spots"])
    call = seen["call"]
    assert isinstance(call, list)
    assert len(call) == 2  # main and, after the goto, account
    for name in ("13-heat-map", "14-call-goto"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
