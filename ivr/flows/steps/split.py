"""``split``: an A/B test that places each caller in a branch by a stable hash.

The engine stays pure: the bucket comes from SHA-256 of the split's salt and the
caller number (never Python's ``hash()``, which changes per process), and the date
check uses the time the adapter passed in. A caller without a number is placed by
the call id, so one call is consistent but repeat calls are not linked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

from ivr.flows.nodes import Split, SplitBranch
from ivr.flows.steps.base import Go, Step, Transition

#: Buckets per split: shares are honoured to a hundredth of a percent.
BUCKETS = 10_000


def bucket(salt: str, key: str) -> int:
    """The caller's bucket (0 … BUCKETS-1) for *salt*; the same inputs always give the same one."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def choose(node: Split, key: str) -> SplitBranch:
    """The branch of *node* that the caller identified by *key* belongs to."""
    b = bucket(node.salt, key)
    edge = 0.0
    for branch in node.branches:
        edge += branch.percent * BUCKETS / 100
        if b < round(edge):
            return branch
    return node.branches[-1]  # shares add to 100 (validated); rounding leaves nothing here


def in_range(node: Split, now: dt.datetime) -> bool:
    """True when *now* falls within the split's ``from``/``until`` days (in its time zone)."""
    if node.starts is None and node.ends is None:
        return True
    try:
        day = now.astimezone(ZoneInfo(node.timezone)).date()
    except (ValueError, OSError, KeyError):
        day = now.date()  # validation refuses unknown zones; this is the safety net
    return ((node.starts is None or node.starts <= day)
            and (node.ends is None or day <= node.ends))


class SplitStep(Step[Split]):
    """One visit to a split node: place the caller, note it, go on."""

    kind = "split"

    def enter(self) -> Transition:
        s = self.state
        if not in_range(self.node, s.now):
            target = self.node.default or self.node.branches[0].next
            s.note("split", {"branch": None, "in_range": False, "target": target})
            return Go(target)
        key = s.record.caller or f"call:{s.record.call_id}"
        branch = choose(self.node, key)
        s.note("split", {"branch": branch.name, "percent": branch.percent, "in_range": True,
                         "target": branch.next})
        chosen = dict(s.variables.get("split") or {})
        chosen[self.name] = branch.name
        s.set_variable("split", chosen)
        return Go(branch.next)
