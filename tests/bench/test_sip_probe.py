"""How ``ivr bench sip`` reads Asterisk's logs: key or speech to next prompt, queue joins, backlog.

The lines are in the shapes Asterisk 22 writes them (copied from the sandbox's logs).
"""

from __future__ import annotations

from pathlib import Path

from ivr.bench.sip_probe import (
    LogTail,
    backlog_warnings,
    key_to_prompt_ms,
    percentile,
    queue_joins,
    speech_to_prompt_ms,
)

DTMF = ("[2026-11-30 06:21:{s}] DTMF[16730][C-00000001] channel.c: DTMF end '{key}' received on "
        "PJSIP/sipp-0000000{n}, duration 160 ms")
PLAY = ("[2026-11-30 06:21:{s}] VERBOSE[18236][C-00000004] {src}: <PJSIP/sipp-0000000{n}> "
        "Playing '/rec/prompts/a62f.slin' (language 'en')")
QUEUE = ("[2026-11-30 06:21:{s}] VERBOSE[18236][C-00000004] pbx.c: Executing "
         '[bench@ivr-native-reference-queue:1] Queue("PJSIP/sipp-0000000{n}", "bench,t") '
         "in new stack")
ANSWER = ('[2026-11-30 06:21:{s}] VERBOSE[6659][C-00000002] pbx.c: Executing [s@ivr:4] '
          'Answer("PJSIP/sipp-0000000{n}", "") in new stack')


def test_each_key_is_timed_to_the_next_prompt_on_its_own_channel() -> None:
    lines = [
        PLAY.format(s="01.498", src="file.c", n=3),  # a prompt with no key before it: not timed
        DTMF.format(s="02.620", key="1", n=3),
        DTMF.format(s="02.621", key="1", n=4),
        PLAY.format(s="02.623", src="file.c", n=3),
        PLAY.format(s="02.650", src="res_agi.c", n=4),
        DTMF.format(s="04.100", key="2", n=3),
        QUEUE.format(s="04.123", n=3),
        DTMF.format(s="05.000", key="2", n=4),  # the caller hung up before anything started
    ]
    # The DTMF lines come from another file than the verbose ones: the order given must not matter.
    delays = key_to_prompt_ms(lines[1::2] + lines[0::2])
    assert [round(d) for d in delays["menu"]] == [3, 29]
    assert [round(d) for d in delays["queue"]] == [23]


def test_speech_is_timed_from_answer_plus_the_words_end_to_the_next_prompt() -> None:
    lines = [
        PLAY.format(s="00.500", src="file.c", n=1),  # before any answer: not timed
        ANSWER.format(s="01.000", n=1),
        ANSWER.format(s="01.500", n=2),
        ANSWER.format(s="02.000", n=3),
        PLAY.format(s="08.000", src="res_agi.c", n=2),  # before its words ended (9.5 s): skipped
        PLAY.format(s="08.250", src="res_agi.c", n=1),  # words ended at 9.0 s... not yet
        PLAY.format(s="09.270", src="res_agi.c", n=1),
        PLAY.format(s="09.900", src="res_agi.c", n=2),
        PLAY.format(s="12.000", src="res_agi.c", n=1),  # a later prompt of the same call
        QUEUE.format(s="10.040", n=3),
    ]
    delays = speech_to_prompt_ms(lines, 8000)
    assert [round(d) for d in delays["menu"]] == [270, 400]
    assert [round(d) for d in delays["queue"]] == [40]
    assert speech_to_prompt_ms(lines, 20000) == {"menu": [], "queue": []}


def test_queue_joins_are_read_from_queue_log_for_one_prefix() -> None:
    log = ["1796019654|1796019650.0|bench|NONE|ENTERQUEUE||959200001|1",
           "1796019657|1796019654.1|bench|NONE|ENTERQUEUE||959200002|1",
           "1796019657|1796019654.1|sales|NONE|ENTERQUEUE||959200003|1",
           "1796019658|1796019654.1|bench|NONE|ABANDON|1|1|3",
           "1796019659|1796019660.0|bench|NONE|ENTERQUEUE||959300001|1"]
    assert queue_joins(log, "959200") == {"959200001": "bench", "959200002": "bench",
                                          "959200003": "sales"}


def test_backlog_warnings_and_percentiles() -> None:
    warning = ("[2026-11-30 06:40:00.000] WARNING[1][C-1] taskprocessor.c: The "
               "'stasis/m:manager:core-00000006' task processor queue reached 3000 scheduled tasks")
    assert backlog_warnings([warning, PLAY.format(s="01.000", src="file.c", n=1)]) == [warning]
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (50.0, 99.0)
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN when nothing was timed


def test_a_log_tail_reads_only_what_was_written_after_it_began(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    path.write_text("old line\n")
    tail = LogTail(path)
    with path.open("a") as fh:
        fh.write("new line\npartial")
    assert tail.read() == ["new line"]
    with path.open("a") as fh:
        fh.write(" line\n")
    assert tail.read() == ["partial line"]
