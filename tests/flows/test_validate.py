"""Every validation rule against a broken file whose ``# expect:`` comment says where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.flows.loader import load_flowset
from ivr.flows.problems import FlowErrors, Problem, did_you_mean
from ivr.flows.validate import check

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
GOOD = sorted((HERE / "good").glob("*.yaml"))


def problems_of(path: Path) -> list[Problem]:
    """Everything ``ivr validate`` would report for *path*."""
    try:
        return check(load_flowset(path))
    except FlowErrors as exc:
        return list(exc.problems)


def expectation(path: Path) -> str:
    """The ``# expect: LINE:COL: severity: message`` comment on the file's first line."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} has no expect comment"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_each_broken_file_reports_its_mistake_where_it_was_written(path: Path) -> None:
    lines = [str(p) for p in problems_of(path)]
    wanted = f"{path}:{expectation(path)}"
    assert any(line.startswith(wanted) for line in lines), lines


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_files_have_no_problems(path: Path) -> None:
    assert problems_of(path) == []


def test_one_sample_per_rule_exists() -> None:
    rules = {"yaml_syntax", "unknown_key", "wrong_type", "unknown_target", "unknown_flow",
             "unreachable", "duplicate_key", "shadowed_global_key", "unset_variable",
             "missing_recording", "unknown_queue", "unknown_calendar", "input_free_cycle",
             "unknown_language", "min_over_max", "bad_regex",
             # issue 10: what used to pass validation and then fail calls
             "bad_timezone", "bad_clock_time", "hour_over_24", "reversed_range", "bad_date",
             "bool_condition", "unset_on_one_path", "goto_missing_node", "goto_missing_input",
             "sensitive_prompt", "sensitive_copy", "sensitive_share", "sensitive_transfer",
             "sensitive_result", "readback_outside_prompt", "missing_builtin_language",
             "yaml_indentation", "yaml_tab", "yaml_unquoted_star", "bad_lookup_url",
             "indented_too_little", "nothing_indented",
             # issue 15: A/B splits
             "split_shares", "split_no_else", "split_target", "split_dates", "split_no_salt"}
    assert rules <= {p.stem for p in BAD}


def test_warnings_alone_do_not_stop_loading() -> None:
    flowset = load_flowset(HERE / "bad" / "unreachable.yaml")
    assert [p.severity for p in check(flowset)] == ["warning"]


def test_errors_raise_with_every_problem_at_once(tmp_path: Path) -> None:
    text = (HERE / "bad" / "unknown_target.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "flows.yaml"
    broken.write_text(text.replace("queue: sails", "").replace(
        "      bye:\n        type: hangup\n",
        "      bye:\n        type: queue\n        queue: nope\n"), encoding="utf-8")
    with pytest.raises(FlowErrors) as caught:
        load_flowset(broken)
    messages = [p.message for p in caught.value.problems]
    assert any("'by' is not a node" in m for m in messages)
    assert any("unknown queue 'nope'" in m for m in messages)


def test_the_shipped_example_is_clean() -> None:
    assert [p for p in problems_of(HERE.parent.parent / "flows.yaml")
            if p.severity == "error"] == []


def test_did_you_mean_suggests_only_close_words() -> None:
    assert did_you_mean("promt", ["prompt", "next"]) == "did you mean 'prompt'?"
    assert did_you_mean("zzz", ["prompt", "next"]) is None


def test_problem_formats_as_file_line_col() -> None:
    problem = Problem("f.yaml", 3, 7, "boom", "fix it", "warning")
    assert str(problem) == "f.yaml:3:7: warning: boom (fix it)"
