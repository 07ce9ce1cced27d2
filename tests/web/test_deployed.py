"""The dashboard's flows page notices an edit to an included file, not only to flows.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

from ivr.web.deployed import DeployedFlows
from tests.conftest import ROOT


async def test_an_edit_to_an_included_file_shows_and_so_does_its_fix(tmp_path: Path) -> None:
    shutil.copy(ROOT / "flows.yaml", tmp_path / "flows.yaml")
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    included = tmp_path / "flows" / "common.yaml"
    good = included.read_text()
    deployed = DeployedFlows(tmp_path / "flows.yaml")
    first = await deployed.current()
    assert first.ok
    assert await deployed.current() is first  # nothing changed: the cached state
    included.write_text(good.replace("type: play", "type: plai", 1))
    broken = await deployed.current()
    assert not broken.ok
    assert any("plai" in p.message and p.file.endswith("common.yaml") for p in broken.problems)
    included.write_text(good)
    assert (await deployed.current()).ok  # the fix to the included file shows too
