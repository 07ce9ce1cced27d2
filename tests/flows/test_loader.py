"""The loader: positions in every file, includes, versions, all-or-nothing errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.flows.loader import load_flowset, parse_flowset
from ivr.flows.problems import FlowErrors

ROOT = Path(__file__).resolve().parent.parent.parent
MAIN = """\
version: 1
include: [{include}]
settings:
  operator_queue: operator
queues:
  operator: {{description: Front desk}}
flows:
  main:
    start: jump
    nodes:
      jump:
        type: goto
        flow: shared
"""
SHARED = """\
flows:
  shared:
    start: bye
    nodes:
      bye:
        type: hangup
"""
SETTINGS = """\
settings:
  operator_queue: operator
queues:
  operator: {description: Front desk}
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write *text* to *folder*/*name* (making folders) and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(path: Path) -> list[str]:
    """The problem lines loading *path* raises."""
    with pytest.raises(FlowErrors) as caught:
        load_flowset(path)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_example_loads_with_its_include() -> None:
    flowset = load_flowset(ROOT / "flows.yaml")
    assert {"main", "account", "korean"} <= set(flowset.document.flows)
    # flows.yaml and its includes: flows/common.yaml (account), flows/korean.yaml.
    assert len(flowset.sources) == 3
    assert len(flowset.version) == 12


def test_includes_resolve_beside_the_including_file(tmp_path: Path) -> None:
    write(tmp_path, "flows/shared.yaml", SHARED)
    main = write(tmp_path, "flows.yaml", MAIN.format(include="flows/shared.yaml"))
    flowset = load_flowset(main)
    assert set(flowset.document.flows) == {"main", "shared"}


def test_version_changes_when_an_included_file_changes(tmp_path: Path) -> None:
    shared = write(tmp_path, "flows/shared.yaml", SHARED)
    main = write(tmp_path, "flows.yaml", MAIN.format(include="flows/shared.yaml"))
    before = load_flowset(main).version
    assert load_flowset(main).version == before
    shared.write_text(SHARED.replace("hangup", "hangup\n        # edited"), encoding="utf-8")
    assert load_flowset(main).version != before


def test_errors_in_an_included_file_name_that_file_and_line(tmp_path: Path) -> None:
    shared = write(tmp_path, "flows/shared.yaml", SHARED.replace("type: hangup", "tipe: hangup"))
    main = write(tmp_path, "flows.yaml", MAIN.format(include="flows/shared.yaml"))
    lines = errors(main)
    assert any(line.startswith(f"{shared}:6:9: error: missing required key 'type'")
               and "hangup" in line
               for line in lines), lines


def test_a_name_defined_twice_names_both_places(tmp_path: Path) -> None:
    shared = write(tmp_path, "flows/shared.yaml", SHARED + "  main:\n    start: x\n    nodes: {}\n")
    main = write(tmp_path, "flows.yaml", MAIN.format(include="flows/shared.yaml"))
    lines = errors(main)
    assert any("flow 'main' is defined twice" in line and f"{main}:8:3" in line
               and f"{shared}:7:3" in line for line in lines), lines


def test_an_include_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "flows/shared.yaml", "include: [../flows.yaml]\n" + SHARED)
    main = write(tmp_path, "flows.yaml", MAIN.format(include="flows/shared.yaml"))
    lines = errors(main)
    assert any("include" in line and "flows.yaml" in line for line in lines), lines


def test_a_missing_include_points_at_the_include_line(tmp_path: Path) -> None:
    main = write(tmp_path, "flows.yaml", MAIN.format(include="nope.yaml"))
    lines = errors(main)
    assert any(line.startswith(f"{main}:2:") and "nope.yaml" in line for line in lines), lines


def test_parse_flowset_reports_positions_in_the_named_file() -> None:
    text = SETTINGS + SHARED.replace("type: hangup", "type: hangup\n        timeout: 5")
    with pytest.raises(FlowErrors) as caught:
        parse_flowset(text, "inline.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "inline.yaml:11:9: error: unknown key 'timeout' "
        "('timeout' does not belong here; remove it or move it)"]


def test_parse_flowset_loads_clean_text() -> None:
    flowset = parse_flowset(SETTINGS + SHARED, "inline.yaml")
    assert list(flowset.document.flows) == ["shared"]


def test_recordings_are_found_in_the_given_directory(tmp_path: Path) -> None:
    sample = ROOT / "tests/flows/bad/missing_recording.yaml"
    with pytest.raises(FlowErrors):
        load_flowset(sample, recordings_dir=tmp_path)
    (tmp_path / "no-such-greeting.wav").write_bytes(b"RIFF")
    assert load_flowset(sample, recordings_dir=tmp_path).recordings_dir == tmp_path


def test_the_version_does_not_depend_on_how_the_path_is_spelt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The service (relative path) and the dashboard (absolute path) must agree on it.
    from tests.conftest import ROOT

    absolute = load_flowset(ROOT / "flows.yaml").version
    monkeypatch.chdir(ROOT)
    assert load_flowset(Path("flows.yaml")).version == absolute
    monkeypatch.chdir(ROOT / "flows")
    assert load_flowset(Path("../flows.yaml")).version == absolute
