"""Option spotting, N-best decisions and the grammar plan (pure; no model)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.spotting import (
    MIN_OPTION_S,
    Decision,
    carrier_start_s,
    completes_one_option,
    decide,
    decides_early,
    ending_option,
    offers_early,
    plan_grammar,
    spot,
    word_owners,
)

BANK = ("잔액 조회", "계좌 이체", "카드 분실 신고", "상담원 연결")
CLINIC = ("진료 예약", "예약 변경", "예약 취소")


def test_a_phrase_is_found_inside_a_sentence() -> None:
    assert spot(["잔액", "조회", "하고", "싶어요"], BANK) == ["잔액 조회"]
    assert spot(["음", "카드", "분실", "신고", "해", "주세요"], BANK) == ["카드 분실 신고"]
    assert spot(["잔액", "하고", "조회"], BANK) == []


TAILS = ("하고 싶어요", "해 주세요")


def test_one_clear_option_is_matched_with_its_share() -> None:
    d = decide([("잔액 조회 하고 싶어요", 100.0), ("잔액 조회", 99.0), ("계좌 이체", 90.0)], BANK,
               TAILS)
    assert d.reason == "matched"
    assert d.phrase == "잔액 조회"
    assert d.share > 0.9
    assert d.margin > 0.8
    assert d.shares[0][0] == "잔액 조회"


def test_paths_not_shaped_like_option_then_carrier_name_none() -> None:
    # Measured: off-menu sentences came back as these.
    for text in ("좀 잔액 조회 해 주세요", "분실 신고 하고", "하고 잔액 조회", "잔액 조회 잔액",
                 "잔액 조회 연결"):
        assert decide([(text, 100.0)], BANK, TAILS).phrase is None, text
    assert decide([("잔액 조회 해 주세요", 100.0)], BANK, TAILS).phrase == "잔액 조회"
    # A whole phrase whose carrier trails off still names it (measured: in-sentence 8 -> 25 %).
    assert decide([("잔액 조회 하고", 100.0)], BANK, TAILS).phrase == "잔액 조회"
    # ...but not a jumble of carrier words (measured: most wrong picks on the benchmark).
    for text in ("잔액 조회 하고 주세요", "잔액 조회 해 하고 싶어요", "잔액 조회 싶어요"):
        assert decide([(text, 100.0)], BANK, TAILS).phrase is None, text
        # On a noisy line the decoder adds stray carrier words: any of them may follow.
        assert decide([(text, 100.0)], BANK, TAILS, noisy_line=True).phrase == "잔액 조회"
    assert decide([("잔액 조회 하고 계좌", 100.0)], BANK, TAILS, noisy_line=True).phrase is None


def test_paths_that_mix_two_options_name_none() -> None:
    # The decoder forcing unclear speech onto menu words: no option, however confident.
    d = decide([("회원 연결", 120.0)], ("회원 정보 변경", "상담원 연결"))
    assert d.phrase is None
    assert d.reason == "off-menu"


def test_close_alternatives_are_ambiguous() -> None:
    d = decide([("잔액 조회", 100.0), ("계좌 이체", 99.9)], BANK)
    assert d.phrase is None
    assert d.reason == "ambiguous"


def test_part_of_a_phrase_is_only_offered() -> None:
    d = decide([("분실", 100.0)], BANK)
    assert d.reason == "partial"
    assert d.phrase == "카드 분실 신고"
    assert d.share <= 0.55


def test_words_shared_by_options_vote_for_none() -> None:
    assert "예약" not in word_owners(CLINIC)
    assert decide([("예약", 100.0)], CLINIC).phrase is None


def test_nothing_heard() -> None:
    assert decide([("", 50.0)], BANK).reason == "nothing"
    assert decide([], BANK).reason == "nothing"


def test_early_decision_waits_while_a_longer_option_may_follow() -> None:
    assert completes_one_option(["진료", "예약"], CLINIC) == "진료 예약"
    assert completes_one_option(["예약"], CLINIC) is None
    assert completes_one_option(["잔액", "조회", "하고"], BANK) == "잔액 조회"
    # A phrase that is the start of another phrase must not be decided on.
    assert completes_one_option(["예약"], ("예약", "예약 변경")) is None
    assert completes_one_option(["잔액", "조회", "계좌", "이체"], BANK) is None


def test_a_pause_decides_only_a_whole_clear_option_that_cannot_go_on() -> None:
    assert decides_early(decide([("잔액 조회", 100.0), ("계좌 이체", 97.0)], BANK), BANK)
    assert decides_early(decide([("잔액 조회 하고", 100.0)], BANK, TAILS), BANK)
    # Not part of a phrase, not a close call, not a phrase another one starts with.
    assert not decides_early(decide([("분실", 100.0)], BANK), BANK)
    assert not decides_early(decide([("잔액 조회", 100.0), ("계좌 이체", 99.9)], BANK), BANK)
    shared = ("예약", "예약 변경")
    assert not decides_early(decide([("예약", 100.0)], shared), shared)


def test_a_pause_offers_an_unsure_option_only_when_the_caller_may_be_done() -> None:
    def unsure(text: str, reason: str = "partial") -> Decision:
        return Decision("카드 분실 신고", 0.55, 1.0, reason, (), ((text, 100.0),))

    assert offers_early(unsure("분실 신고"), TAILS)
    assert offers_early(unsure("분실 신고", "second-pass"), TAILS)
    assert offers_early(unsure("분실 하고"), TAILS)
    # Ends on an earlier word of the phrase: maybe a pause between words.
    assert not offers_early(unsure("카드 분실"), TAILS)
    assert not offers_early(unsure("분실 신고", "matched"), TAILS)


def test_grammar_keeps_known_words_and_puts_carriers_after_phrases() -> None:
    vocab = frozenset(["잔액", "조회", "계좌", "이체", "하고", "싶어요", "해", "주세요"])
    plan = plan_grammar(["잔액 조회", "계좌 이체"], "ko", vocab)
    entries = json.loads(plan.json(with_unk=False))
    assert entries.count("잔액 조회") == plan.option_weight
    assert "잔액 조회 하고 싶어요" in entries
    assert "하고 싶어요" not in entries  # never on its own
    assert all(w in vocab for e in entries for w in e.split())
    assert json.loads(plan.json(with_unk=True))[-1] == "[unk]"


PATHS = ["잔액 조회", "계좌 이체", "잔액", "", "하고 싶어요 잔액 조회", "잔액 조회 해 주세요"]


@given(st.lists(st.tuples(st.sampled_from(PATHS), st.floats(0, 200)), max_size=6))
def test_shares_are_a_distribution(nbest: list[tuple[str, float]]) -> None:
    d = decide(nbest, BANK, TAILS)
    assert 0.0 <= d.share <= 1.0
    assert sum(s for _, s in d.shares) <= 1.0001
    assert (d.phrase is None) == (d.reason in ("off-menu", "ambiguous", "nothing"))


def test_phrases_the_model_cannot_hear_are_left_out() -> None:
    plan = plan_grammar(["네", "yes", "아니요"], "ko", frozenset(["네", "아니요"]))
    assert plan.phrases == ("네", "아니요")
    # Never an empty grammar (Vosk would decode free-form).
    assert plan_grammar(["yes"], "ko", frozenset(["네"])).phrases == ("yes",)


def test_the_option_part_of_a_sentence_ends_where_its_whole_carrier_tail_starts() -> None:
    path = [("연결", 0.4), ("가입", 0.8), ("하고", 1.2), ("싶어요", 1.5)]
    assert carrier_start_s(path, TAILS) == 1.2
    # The longest carrier that ends the path counts ("좀 해 주세요", not "해 주세요").
    tails = ("해 주세요", "좀 해 주세요")
    assert carrier_start_s([("잔액", 0.4), ("좀", 0.9), ("해", 1.1), ("주세요", 1.3)], tails) == 0.9
    # A jumble of carrier words before the whole carrier is carrier too.
    jumble = [("상담원", 0.3), ("연결", 0.7), ("하고", 1.1), ("해", 1.3), ("주세요", 1.5)]
    assert carrier_start_s(jumble, tails + TAILS) == 1.1


def test_no_cut_without_a_whole_carrier_or_an_option_part_before_it() -> None:
    assert carrier_start_s([("잔액", 0.4), ("조회", 0.8)], TAILS) is None
    # A tail that trails off ("하고") or a jumble ("하고 해") is no carrier to cut at.
    assert carrier_start_s([("잔액", 0.4), ("조회", 0.8), ("하고", 1.2)], TAILS) is None
    assert carrier_start_s([("잔액", 0.4), ("하고", 0.8), ("해", 1.2)], TAILS) is None
    # The carrier alone, or one that starts before any option could have been said.
    assert carrier_start_s([("하고", 0.5), ("싶어요", 0.9)], TAILS) is None
    only_carriers = [("해", 0.5), ("하고", 0.7), ("싶어요", 0.9)]
    assert carrier_start_s(only_carriers, (*TAILS, "해 주세요")) is None
    early = MIN_OPTION_S - 0.05
    assert carrier_start_s([("네", 0.0), ("하고", early), ("싶어요", 0.6)], TAILS) is None
    assert carrier_start_s([("잔액", 0.4), ("하고", 1.0), ("싶어요", 1.3)], ()) is None


CLINIC_TIMES = ("진료 예약", "예약 변경", "진료 시간 안내", "상담원 연결")


def test_audio_cut_before_a_carrier_names_the_option_it_ends_with() -> None:
    # Measured on µ-law sentences: the pre-roll and lead-in come back as menu words first.
    assert ending_option(["신고", "잔액", "조회"], BANK) == ("잔액 조회", True)
    assert ending_option(["잔액", "조회", "잔액", "조회"], BANK) == ("잔액 조회", True)
    # A whole phrase counts even when its words are shared with other options.
    assert ending_option(["연결", "예약", "변경"], CLINIC_TIMES) == ("예약 변경", True)
    # The last two words of a longer phrase, ending no other phrase, name it as part of it.
    assert ending_option(["연결", "시간", "안내"], CLINIC_TIMES) == ("진료 시간 안내",
                                                                          False)


def test_a_cut_path_ending_on_one_word_or_shared_words_names_none() -> None:
    # One last word is what the decoder puts for what it cannot place ("예약 연결").
    assert ending_option(["예약", "연결"], BANK) == (None, False)
    assert ending_option(["분실", "신고", "잔액"], BANK) == (None, False)
    assert ending_option([], BANK) == (None, False)
    # Nor does a one-word option: any sentence the decoder forces onto the menu ends on one.
    words = ("보험", "안내", "도움말")
    assert ending_option(["해지", "확인", "도움말"], words) == (None, False)
    # Two last words that end two phrases name neither.
    phrases = ("회원 정보 변경", "개인 정보 변경", "예약 변경")
    assert ending_option(["연결", "정보", "변경"], phrases) == (None, False)
    assert ending_option(["회원", "정보", "변경"], phrases) == ("회원 정보 변경", True)


def test_a_cut_second_pass_decides_on_path_endings_only_when_asked() -> None:
    nbest = [("신고 잔액 조회", 40.9), ("신고 조회", 39.6)]
    assert decide(nbest, BANK).phrase is None
    d = decide(nbest, BANK, ending=True)
    assert d.phrase == "잔액 조회"
    assert d.reason == "matched"
