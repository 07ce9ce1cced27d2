"""The pure FastAGI protocol: header blocks, every reply form, safe command encoding."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.agi.protocol import (
    HANGUP_SOURCE_PROBE,
    MAX_ARGS,
    HangupNotice,
    HangupSide,
    LocalProtocolError,
    RemoteProtocolError,
    Reply,
    ReplyParser,
    RequestParser,
    encode_command,
    encode_request,
    parse_hangup_side,
    parse_reply_line,
    parse_request_block,
    quote_argument,
    split_like_asterisk,
)

HEADER = (
    b"agi_network: yes\n"
    b"agi_network_script: main?lang=ko\n"
    b"agi_request: agi://127.0.0.1:4573/main?lang=ko\n"
    b"agi_channel: PJSIP/alice-00000001\n"
    b"agi_uniqueid: 1700000000.42\n"
    b"agi_callerid: 0212345678\n"
    b"agi_calleridname: Alice: Smith\n"
    b"agi_dnid: unknown\n"
    b"agi_arg_1: first arg\n"
    b"agi_arg_2: \n"
    b"agi_arg_3: third\n"
    b"\n"
)


def test_request_header_block() -> None:
    parser = RequestParser()
    request = parser.feed(HEADER + b"HANGUP\n")
    assert request is not None
    assert request.script == "main"
    assert request.query == {"lang": "ko"}
    assert request.channel == "PJSIP/alice-00000001"
    assert request.uniqueid == "1700000000.42"
    assert request.caller == "0212345678"
    assert request.dnid is None
    assert request.get("calleridname") == "Alice: Smith"
    assert request.args == ("first arg", "", "third")
    assert parser.leftover() == b"HANGUP\n"
    assert not request.answered


def test_the_dialplan_says_it_answered_in_the_query() -> None:
    request = RequestParser().feed(HEADER.replace(b"main?lang=ko", b"main?lang=ko&answered=yes"))
    assert request is not None
    assert (request.script, request.query, request.answered) == (
        "main", {"lang": "ko", "answered": "yes"}, True)


@given(st.integers(min_value=1, max_value=len(HEADER) - 1))
def test_request_split_anywhere(cut: int) -> None:
    parser = RequestParser()
    assert parser.feed(HEADER[:cut]) is None or cut >= len(HEADER) - 1
    request = parser.feed(HEADER[cut:])
    assert request is not None
    assert request.args == ("first arg", "", "third")


def test_request_script_from_agi_request_only() -> None:
    request = RequestParser().feed(b"agi_request: agi://h:4573/sales/\n\n")
    assert request is not None
    assert request.script == "sales"


@pytest.mark.parametrize(
    "block",
    [b"hello world\n\n", b"agi_channel: x\n\n", b"Content: x\nagi_request: y\n\n"],
)
def test_request_rejects_non_agi(block: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        RequestParser().feed(block)


def test_request_header_too_long() -> None:
    with pytest.raises(RemoteProtocolError):
        RequestParser().feed(b"agi_x: " + b"a" * 70_000)


@pytest.mark.parametrize(
    ("line", "code", "result", "data", "extra"),
    [
        ("200 result=0", 200, "0", None, {}),
        ("200 result=49 endpos=1234", 200, "49", None, {"endpos": "1234"}),
        ("200 result=123 (timeout)", 200, "123", "timeout", {}),
        ("200 result= (timeout)", 200, "", "timeout", {}),
        ("200 result=0 (timeout) endpos=16000", 200, "0", "timeout", {"endpos": "16000"}),
        ("200 result=35 (dtmf) endpos=8000", 200, "35", "dtmf", {"endpos": "8000"}),
        ("200 result=-1 (hangup) endpos=0", 200, "-1", "hangup", {"endpos": "0"}),
        ("200 result=1 (a (nested) value)", 200, "1", "a (nested) value", {}),
        ("200 result=1 (x) endpos=3 y)", 200, "1", "x) endpos=3 y", {}),
        ("200 result=1 ()", 200, "1", "", {}),
        ("200 result=-1", 200, "-1", None, {}),
        ("100 result=0 Trying...", 100, "0", None, {}),
    ],
)
def test_reply_forms(
    line: str, code: int, result: str, data: str | None, extra: dict[str, str]
) -> None:
    reply = parse_reply_line(line)
    assert (reply.code, reply.result, reply.data, dict(reply.extra)) == (code, result, data, extra)


def test_reply_endpos_and_int() -> None:
    reply = parse_reply_line("200 result=49 endpos=1234")
    assert reply.result_int == 49
    assert reply.endpos == 1234
    assert parse_reply_line("200 result=0").endpos is None
    with pytest.raises(RemoteProtocolError):
        _ = parse_reply_line("200 result=12# (timeout)").result_int


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("510 Invalid or unknown command", 510),
        ("511 Command Not Permitted on a dead channel or intercept routine", 511),
        ("520 Invalid command syntax.  Proper usage not available.", 520),
    ],
)
def test_error_replies(line: str, code: int) -> None:
    reply = parse_reply_line(line)
    assert reply.code == code
    assert not reply.ok
    assert reply.usage == line[4:]


@pytest.mark.parametrize("line", ["", "HELLO", "2000 result=1", "200 oops", "abc result=1"])
def test_bad_reply_lines(line: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_reply_line(line)


MULTI_520 = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: STREAM FILE <filename> <escape_digits> [sample offset]\n"
    b"\n"
    b"520 End of proper usage.\n"
)


def test_multiline_520() -> None:
    events = ReplyParser().feed(MULTI_520)
    assert len(events) == 1
    reply = events[0]
    assert isinstance(reply, Reply)
    assert reply.code == 520
    assert "Usage: STREAM FILE" in reply.usage
    assert reply.usage.startswith("Invalid command syntax.")


def test_hangup_line_before_and_after_reply() -> None:
    parser = ReplyParser()
    events = parser.feed(b"HANGUP\n200 result=-1 endpos=0\nHANGUP\n")
    assert isinstance(events[0], HangupNotice)
    assert isinstance(events[1], Reply)
    assert events[1].result == "-1"
    assert isinstance(events[2], HangupNotice)


STREAM = b"200 result=0\n" + MULTI_520 + b"HANGUP\n200 result=1 (v a l)\r\n510 Invalid\n"


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=8))
def test_reply_stream_split_anywhere(cuts: list[int]) -> None:
    points = sorted({0, len(STREAM), *cuts})
    parser = ReplyParser()
    events = []
    for a, b in itertools.pairwise(points):
        events += parser.feed(STREAM[a:b])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Reply", "Reply", "HangupNotice", "Reply", "Reply"]
    assert [e.code for e in events if isinstance(e, Reply)] == [200, 520, 200, 510]
    third = events[3]
    assert isinstance(third, Reply)
    assert third.data == "v a l"


def test_reply_line_too_long() -> None:
    with pytest.raises(RemoteProtocolError):
        ReplyParser().feed(b"200 result=" + b"1" * 70_000)


# -- encoding -------------------------------------------------------------------------------


def test_encode_quotes_every_argument() -> None:
    line = encode_command("SET VARIABLE", "IVR_NOTE", 'he said "hi" \\ bye')
    assert line == b'SET VARIABLE "IVR_NOTE" "he said \\"hi\\" \\\\ bye"\n'


@pytest.mark.parametrize("bad", ["a\nNOOP", "a\r", "a\x00b", "\n"])
def test_encode_rejects_line_breaks(bad: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_command("SET VARIABLE", "X", bad)


@pytest.mark.parametrize("command", ["set variable", "NOOP\nHANGUP", "", "STREAM  FILE ", "A1"])
def test_encode_rejects_bad_command_words(command: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_command(command)


def test_encode_limits() -> None:
    with pytest.raises(LocalProtocolError):
        encode_command("EXEC", *(["x"] * MAX_ARGS))
    with pytest.raises(LocalProtocolError):
        encode_command("VERBOSE", "x" * 9000)


_SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]),
    max_size=60,
)


@given(st.lists(_SAFE_TEXT, max_size=6))
def test_encoded_arguments_round_trip_through_asterisk_splitting(args: list[str]) -> None:
    line = encode_command("EXEC", *args).decode("utf-8")
    assert line.count("\n") == 1
    assert line.endswith("\n")
    assert split_like_asterisk(line) == ["EXEC", *args]


@given(st.text(max_size=40))
def test_any_text_is_one_argument_or_refused(value: str) -> None:
    try:
        quoted = quote_argument(value)
    except LocalProtocolError:
        assert any(c in value for c in "\r\n\x00")
        return
    assert split_like_asterisk(quoted) == [value]


def test_encoded_request_parses_back_to_the_same_headers() -> None:
    block = encode_request({"network_script": "main", "agi_uniqueid": "1.2", "callerid": "Eve"})
    assert block.endswith(b"\n\n")
    request = parse_request_block(block.decode()[:-1])
    assert (request.script, request.uniqueid, request.caller) == ("main", "1.2", "Eve")


@pytest.mark.parametrize(
    ("line", "side"),
    [
        ("200 result=1 (19)", HangupSide.CALLER),  # PJSIP/sipp-00000000 after its BYE
        ("200 result=1 (0)", HangupSide.ASTERISK),  # core stop now, channel request hangup
        ("200 result=0", HangupSide.UNKNOWN),  # the variable is unset: not Asterisk's answer
        ("200 result=1 ()", HangupSide.UNKNOWN),
        ("200 result=1 (-1)", HangupSide.UNKNOWN),
        ("200 result=1 (0 )", HangupSide.UNKNOWN),
        ("511 Command Not Permitted on a dead channel or intercept routine", HangupSide.UNKNOWN),
        ("510 Invalid or unknown command", HangupSide.UNKNOWN),
    ],
)
def test_hangup_side_is_read_from_the_length_of_the_hangup_source(
    line: str, side: HangupSide
) -> None:
    assert parse_hangup_side(parse_reply_line(line)) is side


def test_hangup_question_is_one_dead_channel_safe_command_with_no_caller_text() -> None:
    line = encode_command("GET FULL VARIABLE", HANGUP_SOURCE_PROBE)
    assert split_like_asterisk(line.decode()) == [
        "GET", "FULL", "VARIABLE", "${LEN(${CHANNEL(hangupsource)})}"]
