"""The A/B page: exact per-branch figures on a seeded set, and the significance test."""

from __future__ import annotations

import datetime as dt
import math
import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.web.ab import BranchFigures, compare, two_proportion_z
from tests.web.conftest import Dashboard

Client = TestClient[web.Request, web.Application]
DAY = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

#: branch -> [(outcome, calls, seconds in IVR, csat score or None, had a no-match)]
SEEDED = {
    "a": [("self_service", 10, 60, 5, False), ("queue", 28, 30, 3, True),
          ("abandoned", 2, 20, None, False)],
    "b": [("self_service", 25, 40, 4, False), ("queue", 15, 30, None, False)],
}


def _records() -> list[CallRecord]:
    out = []
    i = 0
    for branch, groups in SEEDED.items():
        for outcome, count, seconds, score, unmatched in groups:
            for _ in range(count):
                i += 1
                start = DAY + dt.timedelta(minutes=i)
                rec = CallRecord(call_id=f"ab{i}", started_at=start, flow="main",
                                 flow_version="v1", caller=f"+1555{i:07d}",
                                 ended_at=start + dt.timedelta(seconds=seconds),
                                 outcome=OutcomeKind(outcome), outcome_node="try_menu",
                                 queue="sales" if outcome == "queue" else None)
                rec.timeline.append(TimelineEntry(start, "split", "try_menu",
                                                  {"branch": branch, "percent": 50}))
                if unmatched:
                    rec.timeline.append(TimelineEntry(start, "no_match", "menu", {"attempt": 1}))
                if score is not None:
                    rec.survey_kind, rec.survey_score = "csat", score
                out.append(rec)
    return out


async def test_the_page_shows_exact_figures_per_branch(
        dashboard: Dashboard, supervisor: tuple[Client, str]) -> None:
    for record in _records():
        await dashboard.store.finish(record)
    await dashboard.store.flush()
    client, _ = supervisor
    page = await client.get("/splits?since=2026-11-25&until=2026-11-25")
    assert page.status == 200
    html = await page.text()
    figures = dict(re.findall(r'data-figure="([^"]+)">\s*([^<\n]+)', html))
    assert figures["calls-a"] == "40 (40)"
    assert figures["calls-b"] == "40 (40)"
    assert figures["contained-a"].startswith("25")
    assert figures["contained-b"].startswith("62")
    assert figures["no_match-a"].startswith("70")
    assert figures["abandoned-a"].startswith("5")
    assert figures["csat-a"] == "3.53 (38)"
    assert figures["csat-b"] == "4.00 (25)"
    verdicts = dict(re.findall(r'data-test="([^"]+)">([^<]+)<', html))
    assert verdicts["contained-b"] == "higher than a (p = 0.001)"
    assert verdicts["abandoned-b"] == "too few calls to tell yet"
    assert verdicts["to_agents-b"].startswith("lower than a")
    empty = await (await client.get("/splits?since=2026-11-01&until=2026-11-02")).text()
    assert "No call went through a split" in empty


def _chi_square_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """The 2×2 chi-square test without continuity correction: an independent reference."""
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    total = n1 + n2
    cols = [x1 + x2, total - x1 - x2]
    chi2 = sum((table[r][k] - (n1, n2)[r] * cols[k] / total) ** 2
               / ((n1, n2)[r] * cols[k] / total) for r in range(2) for k in range(2))
    return math.erfc(math.sqrt(chi2 / 2))


def test_the_z_test_agrees_with_the_chi_square_test() -> None:
    for x1, n1, x2, n2 in ((10, 40, 25, 40), (45, 100, 50, 100), (120, 1000, 150, 1100)):
        result = two_proportion_z(x1, n1, x2, n2)
        assert result is not None
        assert math.isclose(result[1], _chi_square_p(x1, n1, x2, n2), rel_tol=1e-9)
    # A textbook value: 10/40 vs 25/40 gives z = 3.3806.
    z = two_proportion_z(10, 40, 25, 40)
    assert z is not None
    assert round(z[0], 4) == 3.3806


def test_a_small_or_equal_difference_is_not_called_significant() -> None:
    a = BranchFigures("a", calls=100, finished=100, contained=45)
    b = BranchFigures("b", calls=100, finished=100, contained=50)
    assert compare(a, b, "contained").verdict == "not yet significant (p = 0.48)"
    assert two_proportion_z(0, 10, 0, 10) is None
