"""ivr.ami.client leans on panoramisk's protocol internals: the pin and those internals agree."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version

from panoramisk.ami_protocol import AMIProtocol

from tests.conftest import ROOT


def test_the_installed_panoramisk_is_the_pinned_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = [d for d in project["dependencies"] if d.startswith("panoramisk")]
    assert pinned == [f"panoramisk=={version('panoramisk')}"]


def test_the_protocol_internals_the_client_uses_are_there() -> None:
    # The client sets the factory and log panoramisk reads, and calls send(..., as_list=).
    assert "as_list" in inspect.signature(AMIProtocol.send).parameters
    source = inspect.getsource(AMIProtocol)
    assert all(f"self.{name}" in source for name in ("factory", "log"))
