"""The shipped flows and changed copies of them, for replay tests.

The calls themselves come from :mod:`ivr.bench.replay_calls` (the set ``ivr bench
replay`` measures on): engine-made, as a live call would have stored them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ivr.bench.replay_calls import CLOSED, OPEN, SCRIPTS, make_call, records
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset

__all__ = ["CLOSED", "OPEN", "SCRIPTS", "SHIPPED", "changed", "make_call", "records", "shipped",
           "swap_3_and_4"]

ROOT = Path(__file__).resolve().parent.parent.parent
SHIPPED = ROOT / "flows.yaml"


def shipped() -> FlowSet:
    """The shipped flows (with their include)."""
    return load_flowset(SHIPPED)


def changed(tmp: Path, edit: Callable[[str], str]) -> FlowSet:
    """The shipped flows with *edit* applied to flows.yaml (includes copied beside it)."""
    shutil.copytree(SHIPPED.parent / "flows", tmp / "flows", dirs_exist_ok=True)
    path = tmp / "flows.yaml"
    path.write_text(edit(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    return load_flowset(path)


def swap_3_and_4(text: str) -> str:
    """Main menu keys 3 and 4 swapped (balance ↔ billing)."""
    three, four = "{key: 3, say: [balance", "{key: 4, say: [billing"
    assert three in text
    assert four in text
    return (text.replace(three, "@BALANCE@").replace(four, "{key: 3, say: [billing")
            .replace("@BALANCE@", "{key: 4, say: [balance"))
