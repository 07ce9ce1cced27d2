"""``ivr asr FILE.wav``: what Vosk hears in a recording, with confidence and timing.

``--phrases`` restricts recognition to a menu's phrases (grammar mode) and
warns about words the model does not know; without it, free-form dictation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ivr.config import load_config
from ivr.speech.models import ModelNotConfigured, shared_registry
from ivr.speech.recognizer import Recognizer
from ivr.speech.vocabulary import missing_words
from ivr.speech.wav import AudioFormatError, read_pcm

#: Decode in chunks the size Asterisk streams would arrive in batches (200 ms).
CHUNK_BYTES = 3200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ivr asr``."""
    parser.add_argument("file", type=Path, help="WAV file (any rate; converted to 8 kHz)")
    parser.add_argument("--lang", default="ko", help="model language (default: ko)")
    parser.add_argument("--phrases", help='comma-separated grammar, e.g. "예,아니요,상담원"')
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--config", type=Path, help="ivr.toml with [speech] models")


def run(args: argparse.Namespace) -> int:
    """Recognise the file and print the result."""
    config = load_config(args.config)
    try:
        pcm = read_pcm(args.file)
    except (OSError, AudioFormatError) as exc:
        print(f"ivr asr: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    phrases = [p.strip() for p in args.phrases.split(",") if p.strip()] if args.phrases else None
    t0 = time.perf_counter()
    try:
        model = shared_registry(config.speech.models, config.speech.models_dir).get(args.lang)
    except ModelNotConfigured as exc:
        print(f"ivr asr: {exc}", file=sys.stderr)
        return 2
    load_ms = round((time.perf_counter() - t0) * 1000)
    unknown = missing_words(phrases, model.vocabulary) if phrases else []
    rec = Recognizer(model, phrases)
    for i in range(0, len(pcm), CHUNK_BYTES):
        rec.accept(pcm[i : i + CHUNK_BYTES])
    result = rec.final_sync()
    rtf = result.decode_ms / result.audio_ms if result.audio_ms else 0.0
    out = {
        "text": result.text,
        "confidence": result.confidence,
        "in_grammar": result.in_grammar,
        "heard": result.heard,
        "words": [
            {"word": w.word, "confidence": w.confidence, "start_s": w.start_s, "end_s": w.end_s}
            for w in result.words
        ],
        "mode": "grammar" if phrases else "free-form",
        "language": args.lang,
        "audio_ms": result.audio_ms,
        "decode_ms": result.decode_ms,
        "final_ms": result.recognition_ms,
        "model_load_ms": load_ms,
        "real_time_factor": round(rtf, 4),
        "unknown_words": unknown,
        **({"evidence": result.evidence()} if result.decision is not None else {}),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for word in unknown:
        print(f"warning: {word!r} is not in the {args.lang} model's vocabulary", file=sys.stderr)
    reason = result.decision.reason if result.decision is not None else ""
    verdict = "" if result.in_grammar else f"  (no option: {reason or 'nothing heard'})"
    print(f"text:        {result.text or '(nothing)'}{verdict}")
    print(f"confidence:  {result.confidence:.2f}" + (f" ({reason})" if reason else ""))
    print(f"mode:        {out['mode']} ({args.lang})")
    print(f"audio:       {result.audio_ms} ms, decoded in {result.decode_ms} ms "
          f"(real-time factor {rtf:.3f}); model load {load_ms} ms")
    return 0
