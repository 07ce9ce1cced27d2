"""A/B split figures: per split and branch, the call figures and whether differences are real.

Calls are counted by the branch their ``split`` timeline entry names (a call through
two splits counts in both). Rates are over *finished* calls, as on the metrics page:

- *containment*: resolved in self-service; *abandonment*: the caller hung up in the IVR;
- *to agents*: handed to a queue, transferred, or a callback taken;
- *no-match*: calls with at least one input the flow did not understand;
- *time in IVR*: mean seconds of finished calls; *CSAT*: mean 1–5 score and its count;
- *NPS*: per cent promoters (9–10) minus per cent detractors (0–6) of the 0–10 answers,
  and their count.

Each rate of each branch is compared with the first (the control) by a pooled
two-proportion z-test (two-sided). A difference is called meaningful only at
p < ALPHA; with fewer than 5 successes or failures on either side the normal
approximation is not trusted and the page says there are too few calls yet.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select

from ivr.calls.outcome import OutcomeKind
from ivr.calls.store import schema
from ivr.calls.store.sql import SqlStore

#: Significance level of the verdicts.
ALPHA = 0.05
TO_AGENTS = frozenset({OutcomeKind.QUEUE, OutcomeKind.TRANSFER, OutcomeKind.CALLBACK})


@dataclass
class BranchFigures:
    """One branch of one split over the period."""

    branch: str
    calls: int = 0
    finished: int = 0
    contained: int = 0
    abandoned: int = 0
    to_agents: int = 0
    no_match: int = 0
    ivr_seconds: list[float] = field(default_factory=list)
    csat: list[int] = field(default_factory=list)
    nps: list[int] = field(default_factory=list)

    @property
    def avg_ivr_s(self) -> float | None:
        """Mean time in the IVR of finished calls."""
        return sum(self.ivr_seconds) / len(self.ivr_seconds) if self.ivr_seconds else None

    @property
    def csat_avg(self) -> float | None:
        """Mean CSAT score."""
        return sum(self.csat) / len(self.csat) if self.csat else None

    @property
    def nps_score(self) -> float | None:
        """Net promoter score (-100 … 100) of the NPS answers."""
        if not self.nps:
            return None
        promoters = sum(score >= 9 for score in self.nps)
        detractors = sum(score <= 6 for score in self.nps)
        return 100 * (promoters - detractors) / len(self.nps)

    def rate(self, name: str) -> float | None:
        """``contained``/``abandoned``/``to_agents``/``no_match`` over finished calls."""
        return getattr(self, name) / self.finished if self.finished else None


@dataclass(frozen=True)
class Test:
    """A two-proportion z-test of one branch against the control for one rate."""

    z: float | None
    p_value: float | None
    verdict: str


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """Pooled two-proportion z statistic and two-sided p-value; None when undefined."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x2 / n2 - x1 / n1) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def compare(control: BranchFigures, other: BranchFigures, name: str) -> Test:
    """Is *other*'s rate *name* different from *control*'s? In words a supervisor can act on."""
    x1, n1 = getattr(control, name), control.finished
    x2, n2 = getattr(other, name), other.finished
    too_few = any(v < 5 for v in (x1, n1 - x1, x2, n2 - x2))
    result = two_proportion_z(x1, n1, x2, n2)
    if result is None or too_few:
        return Test(None if result is None else result[0], None if result is None else result[1],
                    "not yet meaningful: too few calls")
    z, p = result
    if p >= ALPHA:
        return Test(z, p, f"not yet meaningful (p = {p:.2f})")
    direction = "higher" if z > 0 else "lower"
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return Test(z, p, f"{direction} than {control.branch} ({shown})")


@dataclass
class SplitFigures:
    """One split node (``flow/node``) with its branches in the order calls first met them."""

    name: str
    branches: dict[str, BranchFigures] = field(default_factory=dict)

    def tests(self) -> dict[str, dict[str, Test]]:
        """Branch → rate → test against the first branch (the control)."""
        arms = list(self.branches.values())
        if len(arms) < 2:
            return {}
        control = arms[0]
        return {arm.branch: {name: compare(control, arm, name)
                             for name in ("contained", "abandoned", "to_agents", "no_match")}
                for arm in arms[1:]}


async def split_figures(store: SqlStore, since: dt.datetime, until: dt.datetime,
                        order: dict[str, list[str]] | None = None) -> list[SplitFigures]:
    """Every split met by calls that started in [since, until), with per-branch figures.

    *order* gives each split's branch names as configured (``flow/node`` → names), so the
    first configured branch is the control; other branches follow in the order met.
    """
    c, t = schema.calls.c, schema.timeline.c
    period = and_(c.started_at >= since, c.started_at < until)
    placed = (select(t.call_id, t.node, t.data, c.flow, c.outcome, c.ivr_seconds,
                     c.survey_kind, c.survey_score)
              .join(schema.calls, c.call_id == t.call_id)
              .where(t.kind == "split", period).order_by(c.started_at, t.call_id, t.seq))
    unmatched = (select(t.call_id).join(schema.calls, c.call_id == t.call_id)
                 .where(t.kind == "no_match", period).distinct())
    async with store.engine.connect() as conn:
        rows = (await conn.execute(placed)).all()
        no_match = {r[0] for r in (await conn.execute(unmatched)).all()}
    splits: dict[str, SplitFigures] = {}
    seen: set[tuple[str, str]] = set()
    for call_id, node, data, flow, outcome, ivr_s, survey_kind, score in rows:
        branch = _branch(data)
        key = f"{flow}/{node}"
        if branch is None or (call_id, key) in seen:
            continue  # outside the dates, or a second pass through the same split
        seen.add((call_id, key))
        if key not in splits:
            configured = (order or {}).get(key, [])
            splits[key] = SplitFigures(key, {b: BranchFigures(b) for b in configured})
        fig = splits[key].branches.setdefault(branch, BranchFigures(branch))
        _count(fig, call_id in no_match, outcome, ivr_s, survey_kind, score)
    return list(splits.values())


def _branch(data: Any) -> str | None:
    value = data.get("branch") if isinstance(data, dict) else None
    return str(value) if value else None


def _count(fig: BranchFigures, unmatched: bool, outcome: str | None, ivr_s: float | None,
           survey_kind: str | None, score: int | None) -> None:
    fig.calls += 1
    if outcome is None or outcome == OutcomeKind.INTERRUPTED:
        return
    fig.finished += 1
    fig.contained += outcome == OutcomeKind.SELF_SERVICE
    fig.abandoned += outcome == OutcomeKind.ABANDONED
    fig.to_agents += outcome in TO_AGENTS
    fig.no_match += unmatched
    if ivr_s is not None:
        fig.ivr_seconds.append(float(ivr_s))
    if survey_kind == "csat" and score is not None:
        fig.csat.append(int(score))
    elif survey_kind == "nps" and score is not None:
        fig.nps.append(int(score))
