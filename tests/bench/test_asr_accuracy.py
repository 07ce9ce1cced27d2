"""The accuracy benchmark's parts: test set, the engine's verdict, the call path, the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.bench import asr_accuracy as acc
from ivr.flows.events import SpeechHeard
from ivr.flows.loader import load_flowset
from ivr.speech import channels
from ivr.speech.models import LoadedModel
from ivr.speech.recognition import Recognition
from ivr.speech.spotting import Decision
from ivr.speech.wav import read_pcm
from tests.conftest import ROOT, need

MENUS = ROOT / "speech" / "bench" / "menus_ko.yaml"
OFF = ["오늘 날씨가 정말 좋네요", "김치찌개", "삼십칠", "택시 좀 불러 주세요"]


def test_the_shipped_menus_are_three_with_six_multiword_options_or_more() -> None:
    menus = acc.menus(load_flowset(MENUS))
    assert set(menus) == {"bank", "shop", "clinic"}
    for menu in menus.values():
        assert len(menu.options) >= 6
        assert sum(len(o.say[0].split()) > 1 for o in menu.options) >= 6


def test_quick_and_full_sets() -> None:
    fs = load_flowset(MENUS)
    full = acc.build_items(fs, OFF, quick=False)
    quick = acc.build_items(fs, OFF, quick=True)
    assert len({i.voice.name for i in full}) == 4
    kinds = {k: sum(i.kind == k for i in full) for k in ("alone", "sentence", "off-menu")}
    assert kinds == {"alone": 21 * 4, "sentence": 21, "off-menu": 3 * len(OFF)}
    assert len(quick) < len(full) / 2
    assert all(i.text.endswith("하고 싶어요") for i in full if i.kind == "sentence")


def test_the_engine_decides_right_offered_or_again() -> None:
    fs = load_flowset(MENUS)
    assert acc.menu_outcome(fs, "bank", SpeechHeard("잔액 조회", 0.9)) == ("chosen", "balance")
    assert acc.menu_outcome(fs, "bank", SpeechHeard("잔액 조회", 0.5)) == ("offered", "balance")
    assert acc.menu_outcome(fs, "bank", SpeechHeard("", 0.0)) == ("again", None)
    assert acc.menu_outcome(fs, "bank", None) == ("again", None)


def test_table_rows_add_up() -> None:
    t = acc.Tally()
    for outcome in ("right", "right", "wrong", "again"):
        t.add("alone", outcome)
    t.add("off-menu", "accepted")
    t.add("off-menu", "rejected")
    t.latencies_ms += [300.0, 500.0]
    head, row = acc.format_table({"clean": t}, baseline=False)
    assert "wrong" in head
    assert row.split()[:3] == ["clean", "4", "50.0%"]
    assert "1+0?/2" in row
    assert acc.percentile([300.0, 500.0, 900.0], 0.5) == 500.0


@pytest.mark.vosk
def test_call_path_reaches_the_option_said(ko_model: LoadedModel, tmp_path: Path) -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")
    fs = load_flowset(MENUS)
    menu = acc.menus(fs)["bank"]
    phrases = tuple(p for o in menu.options for p in o.say)
    speech = read_pcm(channels.speak("상담원 연결", channels.Voice("ko+f3"), tmp_path / "a.wav"))
    turn = acc.call_path(ko_model, phrases, channels.channel(speech, "clean"),
                         acc.Variant().plan(ko_model, phrases), 800)
    assert turn.heard is not None
    assert turn.decided_at_ms is not None
    assert acc.menu_outcome(fs, "bank", turn.heard)[1] == "agent"


def test_a_wrong_pick_shows_what_was_said_and_heard() -> None:
    decision = Decision("상담원 연결", 1.0, 1.0, "matched", (("상담원 연결", 1.0),),
                        (("상담원 연결 해", 54.3), ("상담원 연결", 53.2)))
    rec = Recognition("상담원 연결", 1.0, "상담원 연결 해", True, (), 1400, 20, 90, True, decision)
    turn = acc.TurnResult(rec.to_event(), 1840, True, 90, 1400, 20.0, rec)
    item = acc.Item("shop", "tracking", "배송 조회", "alone", channels.Voice("ko", 160, 50))
    line = acc.wrong_pick(45, item, "agent", turn)
    assert line.startswith("#45 shop: said '배송 조회' (alone, voice ko/160/50) -> agent early;")
    assert "heard '상담원 연결 해'" in line
    assert "matched share 1.00 margin 1.00" in line
    assert "상담원 연결 해 (54.3); 상담원 연결 (53.2)" in line
