"""A live reload refuses every broken sample that ``ivr validate`` refuses; calls keep working.

The samples are tests/flows/bad/*.yaml (one per rule, each with its expected
``FILE:LINE:COL``); only those that expect an error are used (a warning alone
does not stop a reload).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import PlaybackDone
from ivr.flows.loader import load_flowset
from ivr.flows.problems import FlowErrors
from ivr.serve.flows import FlowsHolder

FLOWS = Path(__file__).parents[1] / "flows"
GOOD = FLOWS / "good" / "minimal.yaml"
BAD = [p for p in sorted((FLOWS / "bad").glob("*.yaml"))
       if ": error: " in p.read_text(encoding="utf-8").splitlines()[0]]
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def _finish(call: Call) -> fx.Outcome:
    while call.outcome is None:
        assert isinstance(call.pending, fx.Play), call.pending
        call.receive(PlaybackDone(), NOW)
    return call.outcome


@pytest.mark.parametrize("bad", BAD, ids=[p.stem for p in BAD])
def test_reload_rejects_the_broken_file_and_keeps_serving(tmp_path: Path, bad: Path) -> None:
    path = tmp_path / "flows.yaml"
    shutil.copy(GOOD, path)
    holder = FlowsHolder(path, load_flowset)
    serving = holder.current
    during = Call(serving, "main", call_id="before", caller="+15550100")
    during.start(NOW)

    shutil.copy(bad, path)
    assert holder.reload() is False
    assert holder.current is serving
    where, _sep, _rest = bad.read_text(encoding="utf-8").splitlines()[0].removeprefix(
        "# expect: ").partition(": error: ")
    assert holder.rejected
    assert holder.rejected[-1].startswith(f"{path}:"), holder.rejected
    # The same place ivr validate names is among the problems the reload refused.
    with pytest.raises(FlowErrors) as refused:
        load_flowset(path)
    assert f"{path}:{where}: error:" in "\n".join(str(p) for p in refused.value.problems)

    # The call in progress finishes on its version, and a new call starts on it too.
    assert _finish(during).kind == "hangup"
    after = Call(holder.current, "main", call_id="after", caller="+15550100")
    after.start(NOW)
    assert _finish(after).kind == "hangup"
