"""What ``ivr bench sip`` measured, and the table it prints: each level per stack, then ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ivr.bench.sip_probe import percentile
from ivr.bench.sipp import LoadResult

MIB = 1024 * 1024


@dataclass(kw_only=True)
class Measured:
    """What one stack at one level measured: one run, or every repetition folded together."""

    stack: str
    level: int
    #: Callers whose outcome was right (the stored record; queue_log for dialplan).
    right: int = 0
    #: Callers Asterisk's queue_log saw enter the queue.
    in_queue: int = 0
    asterisk_cpu_s: float = 0.0
    service_cpu_s: float = 0.0
    asterisk_rss: int = 0
    service_rss: int = 0
    #: Key press to next prompt (ms): "menu" (a prompt) and "queue" (Queue() started).
    delays: dict[str, list[float]] = field(default_factory=lambda: {"menu": [], "queue": []})
    #: Asterisk's warnings that a task processor queue backed up.
    backlog: list[str] = field(default_factory=list)
    #: Stored calls with another outcome, as text.
    wrong: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class LevelResult(Measured):
    """One stack at one level, one repetition."""

    load: LoadResult

    @property
    def clean(self) -> bool:
        """No failed call, every caller with the right outcome and in the queue."""
        n = self.load.attempted
        return n > 0 and self.load.failed == 0 and self.right == n and self.in_queue == n


@dataclass(kw_only=True)
class Summary(Measured):
    """One stack at one level, over every repetition."""

    runs: int = 0
    attempted: int = 0
    completed: int = 0
    failed: int = 0
    clean: bool = True

    def add(self, r: LevelResult) -> None:
        """Fold in one repetition."""
        self.runs += 1
        self.attempted += r.load.attempted
        self.completed += r.load.completed
        self.failed += r.load.failed
        self.right += r.right
        self.in_queue += r.in_queue
        self.asterisk_cpu_s += r.asterisk_cpu_s
        self.service_cpu_s += r.service_cpu_s
        self.asterisk_rss = max(self.asterisk_rss, r.asterisk_rss)
        self.service_rss = max(self.service_rss, r.service_rss)
        self.clean = self.clean and r.clean
        self.backlog.extend(r.backlog)
        for kind, values in r.delays.items():
            self.delays.setdefault(kind, []).extend(values)
        self.wrong.extend(r.wrong)

    def cpu_ms(self, part: str = "all") -> float:
        """CPU per attempted call, ms: Asterisk, service or both."""
        if not self.attempted:
            return math.nan
        cpu = {"asterisk": self.asterisk_cpu_s, "service": self.service_cpu_s,
               "all": self.asterisk_cpu_s + self.service_cpu_s}[part]
        return cpu * 1000 / self.attempted

    def delay(self, q: float, kind: str | None = None) -> float:
        """A quantile of key press to next prompt (ms), of one kind or of every key."""
        values = self.delays.get(kind, []) if kind else [v for d in self.delays.values()
                                                           for v in d]
        return percentile(values, q)


def summarise(results: Sequence[LevelResult]) -> dict[tuple[int, str], Summary]:
    """Fold repetitions together, keyed by (level, stack)."""
    out: dict[tuple[int, str], Summary] = {}
    for r in results:
        out.setdefault((r.level, r.stack), Summary(stack=r.stack, level=r.level)).add(r)
    return out


def _ratio(ours: float, native: float) -> str:
    if math.isnan(ours) or math.isnan(native) or native < 1:
        return "-"
    return f"{ours / native:.2f}x"


def _line(s: Summary) -> str:
    rss = f"{s.asterisk_rss / MIB:5.0f}/{s.service_rss / MIB:4.0f}" if s.service_rss \
        else f"{s.asterisk_rss / MIB:5.0f}/   -"
    return (f"{s.level:5} {s.stack:6} {s.attempted:6} {s.completed:6} {s.failed:6} "
            f"{s.right:6} {s.in_queue:6}   {s.cpu_ms():6.1f} ({s.cpu_ms('asterisk'):5.1f} + "
            f"{s.cpu_ms('service'):5.1f})  {rss}   {s.delay(0.5):5.0f} {s.delay(0.95):5.0f} "
            f"{s.delay(0.99):5.0f}   {len(s.backlog)}")


def _print_stack(s: Summary) -> None:
    print(_line(s))
    by_kind = ", ".join(f"{kind} p99 {s.delay(0.99, kind):.0f} ms"
                        for kind in ("menu", "queue") if s.delays.get(kind))
    what = "speech end" if s.stack == "speech" else "key"
    print(f"{'':13}{what}->{by_kind or 'no prompt timed'}; "
          f"{s.runs} run(s){'' if s.clean else ', NOT clean'}")
    for wrong in s.wrong[:5]:
        print(f"{'':13}wrong outcome: {wrong}")


def print_report(results: Sequence[LevelResult], phrase: str = "") -> None:
    """Print the per-level table, the ratios and the highest clean level of each stack."""
    table = summarise(results)
    stacks = [st for st in ("native", "ivr", "speech") if any(k[1] == st for k in table)]
    if stacks != ["speech"]:
        print("\nivr bench sip: each caller presses 1, then 2, then waits in queue 'bench'")
    if "speech" in stacks:
        print(f"\nivr bench sip, stack 'speech': each caller says {phrase or 'a phrase'!r} "
              "(espeak-ng, G.711 µ-law RTP) to a Korean speech menu that ivr serve hears "
              "over AudioSocket with Vosk, then waits in the queue it chose. No native ratio: "
              "the reference dialplan has no speech recognition")
    print("CPU per call = process CPU over the level / calls attempted; key->prompt = Asterisk's "
          "DTMF end to the next prompt (or Queue()) on that channel; for 'speech', from the end "
          "of the caller's words (Answer() + where they end in the audio sent)\n")
    print("level stack   calls   done failed  right in-queue  CPU ms/call (Ast + svc)  "
          "RSS MiB Ast/svc  key->prompt ms p50 p95 p99  task backlog warnings")
    for level in sorted({lv for lv, _ in table}):
        native, ours = table.get((level, "native")), table.get((level, "ivr"))
        for s in (native, ours):
            if s is not None:
                _print_stack(s)
        if native and ours:
            # Asterisk logs milliseconds and native dialplan often answers within one: the
            # delay is compared as milliseconds added, a ratio only where native took >= 1 ms.
            added = {q: ours.delay(q) - native.delay(q) for q in (0.5, 0.99)}
            print(f"{'':13}ivr/native: CPU per call {_ratio(ours.cpu_ms(), native.cpu_ms())}, "
                  f"Asterisk alone {_ratio(ours.cpu_ms('asterisk'), native.cpu_ms())}; "
                  f"key->prompt p50 {added[0.5]:+.0f} ms, p99 {added[0.99]:+.0f} ms "
                  f"({_ratio(ours.delay(0.99), native.delay(0.99))})")
        if (speech := table.get((level, "speech"))) is not None:
            _print_stack(speech)
    best = {stack: max((lv for (lv, st), s in table.items() if st == stack and s.clean),
                       default=0) for stack in stacks}
    shown = [f"{stack} {best[stack] or 'none'}" for stack in stacks]
    if best.get("native") and "ivr" in best:
        shown[stacks.index("ivr")] += f" ({best['ivr'] / best['native']:.2f}x)"
    print(f"\nhighest clean level (0 failed, every caller right and in the queue): "
          f"{', '.join(shown)}")
