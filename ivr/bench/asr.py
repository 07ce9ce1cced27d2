"""``ivr bench asr``: real-time factor per stream and how many 8 kHz streams a core sustains.

The model is loaded once; a test utterance (espeak-ng, or ``--wav``) is
decoded the way a call decodes it (20 ms frames, grammar or free-form).
Single-stream real-time factor (RTF) is decode time / audio time (the
baseline, measured in the same process); then N streams decode
simultaneously on one thread (one core), frame by frame in turn as calls
would, and the sustainable stream count per core is 1 / the per-stream RTF
under that load. A machine sustains about that many streams per core.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ivr.bench import asr_accuracy as acc
from ivr.bench.asr_accuracy import CONDITIONS
from ivr.config import load_config
from ivr.speech import channels
from ivr.speech.models import LoadedModel, shared_registry
from ivr.speech.recognizer import Recognizer
from ivr.speech.spotting import OPTION_WEIGHT
from ivr.speech.wav import read_pcm

DEFAULT_TEXT = {
    "ko": "보험 안내 도움말 사람 해지 비밀번호 예약 확인",
    "en": "talk to an agent please",
}
DEFAULT_PHRASES = {
    "ko": "보험,안내,도움말,사람,해지,비밀번호,예약,확인",
    "en": "agent,billing,yes,no",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr bench asr``."""
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--wav", type=Path, help="utterance to decode (default: espeak-ng)")
    parser.add_argument("--mode", choices=["grammar", "free-form", "both"], default="both")
    parser.add_argument("--phrases", help="grammar phrases (default: a Korean test menu)")
    parser.add_argument("--streams", type=int, default=4, help="concurrent streams per core")
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per stream")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--accuracy", action="store_true",
                        help="menu accuracy per telephone condition on a flow's own menus")
    parser.add_argument("--flows", type=Path, default=Path("speech/bench/menus_ko.yaml"),
                        help="flow file whose start menus are tested (with --accuracy)")
    parser.add_argument("--offmenu", type=Path, default=Path("speech/bench/offmenu_ko.txt"),
                        help="off-menu lines, one per line (with --accuracy)")
    parser.add_argument("--full", action="store_true",
                        help="every voice for every option (default: a quick sample)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS),
                        help="comma-separated subset of " + ",".join(CONDITIONS))
    parser.add_argument("--fillers", action="store_true",
                        help="add filler words that absorb off-menu speech (measured worse)")
    parser.add_argument("--no-carriers", action="store_true",
                        help="leave carrier words (하고 싶어요…) out of the grammar")
    parser.add_argument("--option-weight", type=int, default=OPTION_WEIGHT,
                        help="how often each phrase is listed in the grammar")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the whole-file decoder-alone comparison")
    parser.add_argument("--show-wrong", action="store_true",
                        help="list each wrong pick and what the recogniser heard (with --accuracy)")


def _utterance(lang: str, wav: Path | None) -> bytes:
    if wav is not None:
        return read_pcm(wav)
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise SystemExit("ivr bench asr: needs espeak-ng and sox, or --wav FILE")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        voice = {"ko": "ko", "en": "en-us"}.get(lang, lang)
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), DEFAULT_TEXT.get(lang, "test")],
                       check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(out), "pad", "0.3", "0.3"],
                       check=True, capture_output=True)
        return read_pcm(out)


def _stream(model: LoadedModel, phrases: list[str] | None, pcm: bytes) -> tuple[float, int]:
    """Decode *pcm* as a call would (20 ms frames); return (decode seconds, audio ms)."""
    rec = Recognizer(model, phrases)
    t0 = time.perf_counter()
    for i in range(0, len(pcm), 320):
        rec.accept(pcm[i : i + 320])
    rec.final_sync()
    return time.perf_counter() - t0, len(pcm) // 16


def _interleaved(model: LoadedModel, phrases: list[str] | None, pcm: bytes, n: int) -> float:
    """Decode *n* simultaneous streams frame by frame, round robin, on this one thread."""
    recs = [Recognizer(model, phrases) for _ in range(n)]
    t0 = time.perf_counter()
    for i in range(0, len(pcm), 320):
        frame = pcm[i : i + 320]
        for rec in recs:
            rec.accept(frame)
    for rec in recs:
        rec.final_sync()
    return time.perf_counter() - t0


def measure(
    model: LoadedModel, phrases: list[str] | None, pcm: bytes, streams: int
) -> dict[str, float]:
    """RTF of one stream alone (baseline), then per stream with *streams* sharing one core."""
    single_s, audio_ms = _stream(model, phrases, pcm)
    n = max(1, streams)
    wall = _interleaved(model, phrases, pcm, n)
    loaded_rtf = wall / (n * audio_ms / 1000)
    single_rtf = single_s / (audio_ms / 1000)
    return {
        "audio_s": audio_ms / 1000,
        "rtf_single": single_rtf,
        "rtf_loaded": loaded_rtf,
        "streams_per_core": 1 / loaded_rtf if loaded_rtf else 0.0,
        "load_vs_single": loaded_rtf / single_rtf if single_rtf else 0.0,
    }


def run_accuracy(args: argparse.Namespace, model: LoadedModel) -> int:
    """Build the test set from the flow's menus and print the per-condition table."""
    from ivr.flows.loader import load_flowset
    from ivr.flows.problems import FlowErrors

    if not channels.tools_available():
        print("ivr bench asr --accuracy: needs espeak-ng and sox", file=sys.stderr)
        return 2
    try:
        flowset = load_flowset(args.flows)
    except (FlowErrors, OSError) as exc:
        print(f"ivr bench asr: {exc}", file=sys.stderr)
        return 2
    lines = [ln.strip() for ln in args.offmenu.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    items = acc.build_items(flowset, lines, quick=not args.full)
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        print(f"ivr bench asr: unknown condition {unknown[0]!r}; choose from "
              + ", ".join(CONDITIONS), file=sys.stderr)
        return 2
    variant = acc.Variant(fillers=args.fillers, option_weight=args.option_weight,
                          carriers=not args.no_carriers)
    print(f"{len(items)} recordings ({len(acc.menus(flowset))} menus, "
          f"{len({i.voice for i in items})} voices) x {len(conditions)} conditions; "
          f"carriers {'on' if variant.carriers else 'off'}, "
          f"fillers {'on' if variant.fillers else 'off'}, option weight {variant.option_weight}")
    with tempfile.TemporaryDirectory() as tmp:
        speech = acc.synthesize(items, Path(tmp))
    results = {}
    for cond in conditions:
        t0 = time.perf_counter()
        results[cond] = acc.run_condition(model, flowset, items, speech, cond, variant,
                                          baseline=not args.no_baseline)
        print(f"  {cond}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    for line in acc.format_table(results, baseline=not args.no_baseline):
        print(line)
    if args.show_wrong:
        for cond, tally in results.items():
            for line in tally.wrong:
                print(f"wrong ({cond}) {line}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Print RTF and sustainable streams per core for the chosen modes."""
    config = load_config(args.config)
    t0 = time.perf_counter()
    registry = shared_registry(config.speech.models, config.speech.models_dir)
    model = registry.get(args.lang)
    load_s = time.perf_counter() - t0
    if args.accuracy:
        return run_accuracy(args, model)
    one = _utterance(args.lang, args.wav)
    repeats = max(1, round(args.seconds * 16000 / max(1, len(one))))
    pcm = one * repeats
    phrases = (args.phrases or DEFAULT_PHRASES.get(args.lang, "")).split(",")
    modes = ["grammar", "free-form"] if args.mode == "both" else [args.mode]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model {args.lang} loaded once in {load_s:.1f} s ({registry.loads} load, process "
          f"peak RSS {rss_mb:.0f} MB); {os.cpu_count()} cores; {args.streams} concurrent "
          "streams on one core")
    for mode in modes:
        m = measure(model, phrases if mode == "grammar" else None, pcm, args.streams)
        print(f"{mode:10s} RTF one stream {m['rtf_single']:.3f} | under load {m['rtf_loaded']:.3f} "
              f"({m['load_vs_single']:.2f}x baseline) | sustains {m['streams_per_core']:.0f} "
              f"real-time 8 kHz streams per core ({m['audio_s']:.1f} s audio per stream)")
    return 0
