"""The cluster carries real SIP calls: 40 callers through Kamailio, and a flow reload under load.

Every caller is a sipp call to Kamailio pressing RFC 4733 keys; Kamailio picks an Asterisk,
the Asterisk runs the flow on its `ivr serve`, and the caller ends up in the queue its key
chose. Each call must have exactly one record with that queue, and the caller must have
entered that queue on an Asterisk.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.cluster.load import Group, run_group
from tests.cluster.rig import CACHE, Cluster, check_clean, fates

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.slow]


async def test_forty_calls_one_correct_record_each(cluster: Cluster, tmp_path: Path) -> None:
    groups = [Group("511", 20, "1", "sales", rate=8), Group("512", 20, "2", "support", rate=8)]
    runs = await asyncio.gather(*(run_group(tmp_path / g.prefix, g) for g in groups))
    result = fates(list(runs))
    problems = check_clean(list(runs), result)
    by_asterisk = Counter(rs[0]["call_id"].split("-")[1] for rs in result.by_caller.values()
                          if rs)
    print(f"\ncluster baseline: {sum(r.successful for r in runs)}/40 calls completed, "
          f"outcomes {dict(result.outcomes())}, per Asterisk {dict(by_asterisk)}")
    assert not problems, "\n".join(problems[:20])
    # Kamailio spreads the calls: both Asterisks (and so both services) took some.
    assert set(by_asterisk) == {"a", "b"}, by_asterisk


async def test_flow_reload_under_load_drops_no_call(cluster: Cluster, tmp_path: Path) -> None:
    group = Group("811", 24, "2", "support", rate=4, first_ms=2500)
    logs = [CACHE / "run" / f"ivr-{n}.log" for n in (1, 2)]
    before = [log.stat().st_size for log in logs]
    calls = asyncio.create_task(run_group(tmp_path / "reload", group))
    await asyncio.sleep(3)
    # A real edit while calls are in the menu: option 2 now leads to the same queue via
    # an announcement-free node of a new name, so the new version is visible in the records.
    text = cluster.flows.read_text()
    edited = text.replace("next: to_support}", "next: support_desk}").replace(
        "      to_support: {type: queue, queue: support}",
        "      to_support: {type: queue, queue: support}\n"
        "      support_desk: {type: queue, queue: support}")
    assert edited != text
    cluster.flows.write_text(edited)
    run = await calls
    result = fates([run])
    problems = check_clean([run], result)
    nodes = Counter(rs[0]["outcome_node"] for rs in result.by_caller.values() if rs)
    reloaded = [n for n, log, size in zip((1, 2), logs, before, strict=True)
                if re.search(r"flows reloaded: version \S+ -> \S+", log.read_text()[size:])]
    print(f"\nflow reload under load: {run.successful}/{group.calls} calls completed, "
          f"ended at {dict(nodes)}, instances reloaded: {reloaded}")
    assert not problems, "\n".join(problems[:20])
    assert reloaded == [1, 2]
    # Calls that chose after the reload ran the new version, those before the old one.
    assert set(nodes) <= {"to_support", "support_desk"}, nodes
    assert nodes["support_desk"] > 0, nodes
