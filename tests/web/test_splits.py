"""The A/B page: exact per-branch figures on a seeded set, and the significance test."""

from __future__ import annotations

import datetime as dt
import math
import re
from html import unescape

from aiohttp import web
from aiohttp.test_utils import TestClient
from statsmodels.stats.proportion import proportions_ztest

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.web.ab import BranchFigures, compare, two_proportion_z
from tests.web.conftest import Dashboard

Client = TestClient[web.Request, web.Application]
DAY = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

#: branch -> [(outcome, calls, seconds in IVR, (survey kind, score) or None, had a no-match)]
SEEDED: dict[str, list[tuple[str, int, int, tuple[str, int] | None, bool]]] = {
    "a": [("self_service", 10, 60, ("csat", 5), False), ("queue", 28, 30, ("csat", 3), True),
          ("abandoned", 2, 20, None, False)],
    "b": [("self_service", 25, 40, ("csat", 4), False), ("queue", 10, 30, ("nps", 10), False),
          ("queue", 5, 30, ("nps", 3), False)],
}


def _records() -> list[CallRecord]:
    out = []
    i = 0
    for branch, groups in SEEDED.items():
        for outcome, count, seconds, survey, unmatched in groups:
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
                if survey is not None:
                    rec.survey_kind, rec.survey_score = survey
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
    assert figures["contained-a"] == "25.0% (10/40)"
    assert figures["contained-b"] == "62.5% (25/40)"
    assert figures["no_match-a"] == "70.0% (28/40)"
    assert figures["no_match-b"] == "0.0% (0/40)"
    assert figures["abandoned-a"] == "5.0% (2/40)"
    assert figures["to_agents-a"] == "70.0% (28/40)"
    assert figures["to_agents-b"] == "37.5% (15/40)"
    assert figures["ivr_time-a"] == "0:37 (40)"  # (10·60 + 28·30 + 2·20) / 40
    assert figures["ivr_time-b"] == "0:36 (40)"  # (25·40 + 15·30) / 40 = 36.25
    assert figures["csat-a"] == "3.53 (38)"
    assert figures["csat-b"] == "4.00 (25)"
    assert figures["nps-a"] == "–"
    assert figures["nps-b"] == "+33.3 (15)"  # 10 promoters, 5 detractors of 15
    verdicts = {k: unescape(v) for k, v in re.findall(r'data-test="([^"]+)">([^<]+)<', html)}
    assert verdicts["contained-b"] == "higher than a (p < 0.001)"
    assert verdicts["abandoned-b"] == "not yet meaningful: too few calls"
    assert verdicts["to_agents-b"] == "lower than a (p = 0.004)"
    assert verdicts["no_match-b"] == "not yet meaningful: too few calls"  # none in b
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


def test_the_z_test_matches_statsmodels_proportions_ztest() -> None:
    """The reference: statsmodels' pooled two-proportion z-test (a test-only dependency)."""
    cases = [(10, 40, 25, 40), (45, 100, 50, 100), (120, 1000, 150, 1100), (28, 40, 15, 40),
             (3, 17, 9, 21)]
    cases += [(x1, 60, x2, 75) for x1 in range(1, 60, 7) for x2 in range(2, 75, 9)]
    for x1, n1, x2, n2 in cases:
        ours = two_proportion_z(x1, n1, x2, n2)
        assert ours is not None
        z, p = proportions_ztest([x2, x1], [n2, n1], alternative="two-sided")
        assert math.isclose(ours[0], float(z), rel_tol=1e-9, abs_tol=1e-12), (x1, n1, x2, n2)
        assert math.isclose(ours[1], float(p), rel_tol=1e-9, abs_tol=1e-15), (x1, n1, x2, n2)


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
    assert compare(a, b, "contained").verdict == "not yet meaningful (p = 0.48)"
    assert two_proportion_z(0, 10, 0, 10) is None
