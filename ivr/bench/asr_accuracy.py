"""``ivr bench asr --accuracy``: menu turns of synthetic callers, per telephone condition.

The test set is built from the flow file's own menus: every option phrase
said alone and inside a carrier sentence (phrase + "하고 싶어요"), plus
off-menu speech said to every menu, by several espeak-ng voices, speeds and
pitches. Each recording goes through every condition (clean 8 kHz, µ-law
round trip, 300–3400 Hz band, pink noise at 15 dB SNR, all three) and then
through the path a call uses: the endpointer decides when speech starts
(with the listener's pre-roll) and ends (early on a 250 ms pause when the
decoder's final result so far is one option, see ``Recognizer.early_sync``),
the recogniser decodes, and the flow engine's menu
step takes the ``SpeechHeard`` at the flow's thresholds. Outcomes: right,
offered ("Did you say…?", right or wrong option), wrong, asked again.

For comparison the same recordings are decoded whole by the bare decoder
(option phrases only as grammar, no endpointer, no rules): the "decoder
alone" column counts files whose text contains exactly the right option.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.effects import Gather
from ivr.flows.engine import Call
from ivr.flows.events import SpeechHeard
from ivr.flows.flowset import FlowSet
from ivr.flows.nodes import Menu
from ivr.flows.steps.confirm import YES_NO
from ivr.speech import channels
from ivr.speech.endpoint import EndpointSettings, frame_rms
from ivr.speech.grammar import normalise
from ivr.speech.models import LoadedModel
from ivr.speech.recognition import Recognition
from ivr.speech.recognizer import Recognizer
from ivr.speech.spotting import OPTION_WEIGHT, GrammarPlan, plan_grammar, spot
from ivr.speech.turn_step import AskEarly, AskFinal, Feed, NoInputDue, TurnStep

VOICES = (
    channels.Voice("ko", 160, 50),
    channels.Voice("ko+f3", 130, 70),
    channels.Voice("ko+m3", 190, 35),
    channels.Voice("ko+f2", 160, 60),
)
CARRIER = "{} 하고 싶어요"
CONDITIONS = ("clean", "ulaw", "bandpass", "noise15", "phone")
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Item:
    """One recording: said to ``flow``'s menu; ``option`` is the right one (None: off-menu)."""

    flow: str
    option: str | None
    text: str
    kind: str  # alone | sentence | off-menu
    voice: channels.Voice


@dataclass(slots=True)
class Tally:
    """Outcomes of one condition."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    decode_ms: int = 0
    audio_ms: int = 0
    alone_right: dict[str, int] = field(default_factory=dict)
    #: One line per option chosen wrongly: what was said, by whom, what the recogniser heard.
    wrong: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str) -> None:
        """Count one turn's outcome under its kind of item."""
        row = self.counts.setdefault(kind, {})
        row[outcome] = row.get(outcome, 0) + 1


def menus(flowset: FlowSet) -> dict[str, Menu]:
    """Each flow's start node, when it is a menu that listens."""
    out = {}
    for name, flow in flowset.flows.items():
        node = flow.nodes.get(flow.start)
        if isinstance(node, Menu) and any(o.say for o in node.options):
            out[name] = node
    return out


def build_items(flowset: FlowSet, offmenu: Sequence[str], quick: bool) -> list[Item]:
    """The test set: options alone (every voice, or one in turn when quick), in sentences, off-menu.

    Quick runs keep every option but one voice each, a sentence for every
    other option and three off-menu lines per menu.
    """
    items: list[Item] = []
    k = 0
    for flow, menu in menus(flowset).items():
        for i, option in enumerate(menu.options):
            if not option.say:
                continue
            phrase = option.say[0]
            voices = (VOICES[k % len(VOICES)],) if quick else VOICES
            items += [Item(flow, option.name, phrase, "alone", v) for v in voices]
            if not quick or i % 2 == 0:
                v = VOICES[(k + 1) % len(VOICES)]
                items.append(Item(flow, option.name, CARRIER.format(phrase), "sentence", v))
            k += 1
        lines = offmenu[:3] if quick else offmenu
        for j, line in enumerate(lines):
            items.append(Item(flow, None, line, "off-menu", VOICES[(j + k) % len(VOICES)]))
    return items


@dataclass(frozen=True, slots=True)
class TurnResult:
    """What the call path did with one recording."""

    heard: SpeechHeard | None
    decided_at_ms: int | None
    early: bool
    decode_ms: int
    audio_ms: int
    final_ms: float
    #: What the recogniser made of the turn (its words, N-best and decision), if it was asked.
    recognition: Recognition | None = None


def call_path(
    model: LoadedModel, phrases: Sequence[str], pcm: bytes, plan: GrammarPlan | None,
    end_silence_ms: int,
) -> TurnResult:
    """*pcm* frame by frame through the turn step :mod:`ivr.speech.listen` drives, synchronously."""
    settings = EndpointSettings(end_silence_ms=end_silence_ms, no_input_ms=5000)
    step = TurnStep(settings, settings.no_input_ms)
    rec = Recognizer(model, phrases, plan=plan)
    nothing = TurnResult(None, None, False, 0, 0, 0.0)
    for i in range(0, len(pcm) - 319, 320):
        step.receive_audio(pcm[i : i + 320])
        while (request := step.next_request()) is not None:
            if isinstance(request, Feed):
                rec.accept(request.pcm)
            elif isinstance(request, AskEarly):
                t0 = time.perf_counter()
                early = rec.early_sync()
                step.early_answered(early is not None)
                if early is not None:
                    return TurnResult(early.to_event(), request.at_ms, True, early.decode_ms,
                                      early.audio_ms, (time.perf_counter() - t0) * 1000, early)
            elif isinstance(request, AskFinal):
                return _final(rec, request.at_ms, False)
            elif isinstance(request, NoInputDue):
                return nothing
    # The recording ran out before the endpointer decided (no call does that).
    end = step.audio_ended(len(pcm) // 16)
    return _final(rec, end.at_ms, False) if isinstance(end, AskFinal) else nothing


def _final(rec: Recognizer, at_ms: int, early: bool) -> TurnResult:
    t0 = time.perf_counter()
    result = rec.final_sync()
    final_ms = (time.perf_counter() - t0) * 1000
    return TurnResult(result.to_event(), at_ms, early, result.decode_ms, result.audio_ms, final_ms,
                      result)


def menu_outcome(flowset: FlowSet, flow: str, heard: SpeechHeard | None) -> tuple[str, str | None]:
    """Feed the turn to the real engine: (``chosen``/``offered``/``again``, option name)."""
    call = Call(flowset, flow, call_id="bench")
    call.start(EPOCH)
    if heard is None:
        return "again", None
    effects = call.receive(heard, EPOCH)
    for entry in call.record.timeline:
        if entry.kind == "option_chosen":
            return "chosen", str(entry.data.get("option"))
    offered = next((e for e in effects if isinstance(e, Gather)), None)
    if offered is not None and offered.speech is not None and offered.speech.phrases == YES_NO:
        speech_notes = [e for e in call.record.timeline if e.kind == "speech"]
        return "offered", str(speech_notes[-1].data.get("option")) if speech_notes else None
    return "again", None


def speech_end_ms(speech: bytes, lead_ms: int) -> int:
    """Where the words really end in the channel's output: the last loud 20 ms frame."""
    loud = [i for i in range(0, len(speech) - 319, 320) if frame_rms(speech[i : i + 320]) > 300]
    return lead_ms + ((loud[-1] // 320 + 1) * 20 if loud else 0)


def whole_file(model: LoadedModel, phrases: Sequence[str], pcm: bytes) -> list[str]:
    """The bare decoder's reading of the whole file: option phrases it spotted."""
    plan = GrammarPlan(tuple(normalise(p) for p in phrases), (), (), 1)
    rec = Recognizer(model, phrases, plan=plan)
    rec.accept(pcm)
    heard = rec.final_sync().heard
    return spot(normalise(heard).split(), [normalise(p) for p in phrases])


def percentile(values: Sequence[float], q: float) -> float:
    """The *q* quantile (0..1) of *values*, nearest rank (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass(slots=True)
class Variant:
    """Grammar design under test: carriers and fillers on/off, the option weight."""

    fillers: bool = False
    option_weight: int = OPTION_WEIGHT
    carriers: bool = True

    def plan(self, model: LoadedModel, phrases: Sequence[str]) -> GrammarPlan:
        """The grammar this variant gives *phrases*."""
        plan = plan_grammar(phrases, model.language, model.vocabulary, self.fillers,
                            self.option_weight)
        if not self.carriers:
            plan = GrammarPlan(plan.phrases, (), plan.fillers, plan.option_weight)
        return plan


def run_condition(
    model: LoadedModel, flowset: FlowSet, items: Sequence[Item], speech: dict[Item, bytes],
    condition: str, variant: Variant, baseline: bool,
) -> Tally:
    """Run every item through *condition* and the call path; tally the outcomes."""
    tally = Tally()
    by_flow = menus(flowset)
    for n, item in enumerate(items):
        menu = by_flow[item.flow]
        phrases = tuple(dict.fromkeys(p for o in menu.options for p in o.say))
        lead = 600
        pcm = channels.channel(speech[item], condition, seed=n, lead_ms=lead)
        plan = variant.plan(model, phrases)
        turn = call_path(model, phrases, pcm, plan, 800)
        outcome, chosen = menu_outcome(flowset, item.flow, turn.heard)
        tally.decode_ms += turn.decode_ms
        tally.audio_ms += turn.audio_ms
        if item.option is None:
            tally.add("off-menu", "accepted" if outcome == "chosen" else
                      ("offered" if outcome == "offered" else "rejected"))
        else:
            right = chosen == item.option
            if outcome == "chosen" and not right:
                tally.wrong.append(wrong_pick(n, item, chosen, turn))
            tally.add(item.kind, {"chosen": "right" if right else "wrong",
                                  "offered": "offered-right" if right else "offered-wrong",
                                  "again": "again"}[outcome])
            if turn.decided_at_ms is not None and outcome != "again":
                end = speech_end_ms(speech[item], lead)
                tally.latencies_ms.append(turn.decided_at_ms - end + turn.final_ms)
            if baseline:
                said = normalise(item.text if item.kind == "alone" else menu_phrase(menu, item))
                found = whole_file(model, phrases, pcm)
                hit = found == [said]
                tally.alone_right[item.kind] = tally.alone_right.get(item.kind, 0) + int(hit)
    return tally


def wrong_pick(n: int, item: Item, chosen: str | None, turn: TurnResult) -> str:
    """A wrong pick as the recogniser made it, for looking into (``--show-wrong``)."""
    rec = turn.recognition
    d = rec.decision if rec is not None else None
    how = (f"{d.reason} share {d.share:.2f} margin {d.margin:.2f}, N-best "
           + "; ".join(f"{t} ({s:.1f})" for t, s in d.nbest[:3])) if d is not None else ""
    return (f"#{n} {item.flow}: said {item.text!r} ({item.kind}, voice {item.voice.label}) -> "
            f"{chosen}{' early' if turn.early else ''}; heard {rec.heard if rec else ''!r}; {how}")


def menu_phrase(menu: Menu, item: Item) -> str:
    """The option phrase an item says (inside its sentence)."""
    option = next(o for o in menu.options if o.name == item.option)
    return option.say[0]


def synthesize(items: Sequence[Item], into: Path) -> dict[Item, bytes]:
    """Speak every item once (8 kHz PCM), cached by text and voice in *into*."""
    from ivr.speech.wav import read_pcm

    out: dict[Item, bytes] = {}
    for n, item in enumerate(items):
        path = into / f"{n}.wav"
        channels.speak(item.text, item.voice, path)
        out[item] = read_pcm(path)
    return out


def format_table(results: dict[str, Tally], baseline: bool) -> list[str]:
    """One row per condition: menu turns (alone + sentence), off-menu, latency, RTF."""
    head = (f"{'condition':9s} {'turns':>5s} {'right':>6s} {'offer✓':>6s} {'offer✗':>6s} "
            f"{'wrong':>6s} {'again':>6s} | {'alone':>6s} {'sent.':>6s} | {'off-menu acc':>12s} "
            f"| {'p50 ms':>6s} {'p95 ms':>6s} {'RTF':>5s}")
    lines = [head]
    if baseline:
        lines[0] += f" | {'decoder alone':>13s}"
    for cond, t in results.items():
        rows = [t.counts.get(k, {}) for k in ("alone", "sentence")]
        n = sum(sum(r.values()) for r in rows)

        def pct(key: str, rows: list[dict[str, int]] = rows, n: int = n) -> str:
            return f"{100 * sum(r.get(key, 0) for r in rows) / max(1, n):5.1f}%"

        def rate(kind: str, t: Tally = t) -> float:
            r = t.counts.get(kind, {})
            return (r.get("right", 0) + r.get("offered-right", 0)) / max(1, sum(r.values()))

        off = t.counts.get("off-menu", {})
        off_n = sum(off.values())
        off_pct = 100 * off.get("accepted", 0) / max(1, off_n)
        rtf = t.decode_ms / max(1, t.audio_ms)
        line = (f"{cond:9s} {n:5d} {pct('right')} {pct('offered-right')} {pct('offered-wrong')} "
                f"{pct('wrong')} {pct('again')} | {100 * rate('alone'):5.1f}% "
                f"{100 * rate('sentence'):5.1f}% | {off.get('accepted', 0):3d}+"
                f"{off.get('offered', 0)}?/{off_n:<3d} {off_pct:4.1f}% "
                f"| {percentile(t.latencies_ms, 0.5):6.0f} {percentile(t.latencies_ms, 0.95):6.0f} "
                f"{rtf:5.3f}")
        if baseline:
            alone = sum(t.alone_right.values())
            line += f" | {100 * alone / max(1, n):12.1f}%"
        lines.append(line)
    return lines


def median_or_zero(values: Sequence[float]) -> float:
    """Median of *values* (0 when empty)."""
    return statistics.median(values) if values else 0.0
