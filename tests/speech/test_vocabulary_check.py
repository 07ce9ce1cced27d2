"""``ivr validate`` warns about menu words the model cannot hear and options too alike."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ivr.cli import validate
from ivr.flows.checks.vocabulary import confusable_options, similarity, unknown_words
from ivr.flows.loader import load_flowset

BROKEN = Path(__file__).parent / "data" / "broken_speech_menu.yaml"
MENUS = Path(__file__).resolve().parents[2] / "speech" / "bench" / "menus_ko.yaml"


def test_unknown_word_is_named_at_its_phrase() -> None:
    fs = load_flowset(BROKEN)
    problems = list(unknown_words(fs, {"ko": frozenset(["안내", "카드", "해지", "해제", "상담원",
                                                        "연결"])}))
    assert [(p.line, p.col, p.severity) for p in problems] == [(20, 28, "warning")]
    assert "'잔액조회수수료'" in problems[0].message
    assert problems[0].file.endswith("broken_speech_menu.yaml")


def test_confusable_pair_is_named() -> None:
    problems = list(confusable_options(load_flowset(BROKEN)))
    assert len(problems) == 1
    assert "'카드 해지'" in problems[0].message
    assert "'카드 해제'" in problems[0].message
    assert similarity("예약 변경", "예약 취소") < 0.8


def test_the_benchmark_menus_raise_no_confusability_warning() -> None:
    assert list(confusable_options(load_flowset(MENUS))) == []


@pytest.mark.vosk
def test_validate_cli_reports_both_with_the_real_model(
    capsys: pytest.CaptureFixture[str], ko_model: object
) -> None:
    args = argparse.Namespace(file=BROKEN, json=False, no_speech=False)
    assert validate.run(args) == 0  # warnings only: the menu still works by key
    out = capsys.readouterr().out
    assert f"{BROKEN}:20:28: warning: the ko speech model cannot hear '잔액조회수수료'" in out
    assert f"{BROKEN}:21:28: warning: options 2 ('카드 해지') and 3 ('카드 해제')" in out
    validate.run(argparse.Namespace(file=BROKEN, json=False, no_speech=True))
    assert "warning" not in capsys.readouterr().out
