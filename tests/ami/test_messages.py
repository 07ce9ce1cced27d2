"""AMI action encoding (no header injection) and parsing of queue messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.ami.messages import (
    BANNER,
    MAX_VALUE_CHARS,
    AmiProtocolError,
    Headers,
    MessageParser,
    _headers,
    _headers_block,
    action,
    entry_from,
    fields_from,
    member_from,
    params_from,
    safe_value,
    user_event,
)


@given(st.text(max_size=2000))
def test_safe_value_is_always_one_short_line(value: str) -> None:
    out = safe_value(value)
    assert "\r" not in out
    assert "\n" not in out
    assert "\x00" not in out
    assert len(out) <= MAX_VALUE_CHARS


def test_user_event_cannot_inject_headers_or_actions() -> None:
    event = user_event(
        "IvrHandoff", {"Transcript": "hi\r\n\r\nAction: Originate\r\nChannel: x", "Queue": "sales"}
    )
    assert event["Action"] == "UserEvent"
    assert event["UserEvent"] == "IvrHandoff"
    assert event["Transcript"] == "hi Action: Originate Channel: x"
    assert set(event) == {"Action", "UserEvent", "Transcript", "Queue"}


@pytest.mark.parametrize("bad", ["Bad Name", "X\r\nY", "", "1abc"])
def test_header_names_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="not an AMI header name"):
        action("Ping", **{bad: "x"})
    with pytest.raises(ValueError, match="not an AMI header name"):
        user_event(bad, {})


def test_fields_from_lowercases_and_takes_last_repeated_value() -> None:
    assert fields_from({"Event": "X", "Variable": ["a=1", "b=2"], "Count": 3}) == {
        "event": "X",
        "variable": "b=2",
        "count": "3",
    }


def test_member_from_status_reply_and_events() -> None:
    reply = member_from(
        {"event": "QueueMember", "queue": "sales", "name": "Alice", "location": "Local/1@a",
         "status": "1", "paused": "0", "incall": "0"}
    )
    assert (reply.interface, reply.name, reply.available) == ("Local/1@a", "Alice", True)
    event = member_from(
        {"event": "QueueMemberStatus", "queue": "sales", "membername": "Bob",
         "interface": "PJSIP/bob", "status": "2", "paused": "0", "incall": "1"}
    )
    assert (event.interface, event.name, event.available) == ("PJSIP/bob", "Bob", False)
    paused = member_from({"interface": "PJSIP/c", "status": "1", "paused": "1"})
    assert not paused.available
    unavailable = member_from({"interface": "PJSIP/d", "status": "5"})
    assert not unavailable.available


def test_params_and_entry() -> None:
    params = params_from({"queue": "sales", "calls": "2", "holdtime": "40", "abandoned": "x"})
    assert (params.calls, params.holdtime_s, params.abandoned) == (2, 40, 0)
    entry = entry_from({"queue": "sales", "uniqueid": "1.2", "position": "1", "wait": "12"})
    assert (entry.uniqueid, entry.position, entry.wait_s) == ("1.2", 1, 12)


# -- framing of what Asterisk sends (issue 12) ------------------------------------------------

#: A Newchannel event as Asterisk 22 writes it; caller-controlled values are filled in raw.
def newchannel(name: str = "Alice", number: str = "0212345678") -> list[tuple[str, str]]:
    return [
        ("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/sipp-00000007"),
        ("ChannelState", "4"), ("ChannelStateDesc", "Ring"), ("CallerIDNum", number),
        ("CallerIDName", name), ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"), ("Language", "en"), ("AccountCode", ""),
        ("Context", "ivr-inbound"), ("Exten", "s"), ("Priority", "1"),
        ("Uniqueid", "1700000000.7"), ("Linkedid", "1700000000.7"),
    ]


def ami_wire(*messages: list[tuple[str, str]]) -> bytes:
    return b"Asterisk Call Manager/11.0.0\r\n" + b"".join(
        "".join(f"{k}: {v}\r\n" for k, v in message).encode() + b"\r\n" for message in messages
    )


def _no_crlf_text() -> st.SearchStrategy[str]:
    hostile = st.sampled_from(["\r", "\n", "\u2028", "\u2029", "\x85", "\x0b", "\x1c",
                               "Uniqueid: victim.1", ": ", "\x00"])
    text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=10)
    return st.lists(st.one_of(text, hostile), max_size=6).map("".join).map(
        lambda s: s.replace("\r\n", "")
    )


@given(name=_no_crlf_text(), number=_no_crlf_text())
def test_caller_values_arrive_exactly_or_the_event_is_refused(name: str, number: str) -> None:
    event = newchannel(name, number)
    (parsed,) = MessageParser().feed(ami_wire(event))
    if any((ord(ch) < 0x20 and ch != "\t") or 0x7F <= ord(ch) <= 0x9F for ch in name + number):
        assert isinstance(parsed, AmiProtocolError)
        assert "CallerID" in str(parsed)
        return
    assert parsed == dict(event)
    assert fields_from(parsed)["uniqueid"] == "1700000000.7"


def ast_escape_c(value: str) -> str:
    """What Asterisk does to a caller name before it goes into an AMI event (main/utils.c)."""
    table = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
             "\t": "\\t", "\v": "\\v", "\\": "\\\\", "'": "\\'", '"': '\\"', "?": "\\?"}
    return "".join(table.get(ch, ch) for ch in value.partition("\x00")[0])


@given(name=st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_any_caller_name_as_asterisk_escapes_it_arrives_exactly(name: str) -> None:
    escaped = ast_escape_c(name)
    parsed = MessageParser().feed(ami_wire(newchannel(escaped), [("Event", "Next")]))
    if any(0x7F <= ord(ch) <= 0x9F or ord(ch) < 0x20 for ch in escaped):
        assert isinstance(parsed[0], AmiProtocolError)  # DEL, C1 and the rest Asterisk leaves
    else:
        assert parsed[0] == dict(newchannel(escaped))
    assert parsed[1] == {"Event": "Next"}


@pytest.mark.parametrize("repeat", ["Uniqueid", "UniqueID", "uniqueid"])
def test_a_repeated_header_in_any_spelling_is_refused(repeat: str) -> None:
    event = [*newchannel(), (repeat, "victim.1")]
    (parsed,) = MessageParser().feed(ami_wire(event))
    assert isinstance(parsed, AmiProtocolError)
    assert "repeated" in str(parsed)
    assert "victim" not in str(parsed)


def test_channel_variables_may_repeat() -> None:
    event = [*newchannel(), ("ChanVariable", "IVR_PATH=a>b"), ("chanvariable", "NOTE=x\\ny"),
             ("ChanVariable", "IVR_QUEUE=sales")]
    (parsed,) = MessageParser().feed(ami_wire(event))
    assert isinstance(parsed, dict)
    assert parsed["ChanVariable"] == ["IVR_PATH=a>b", "NOTE=x\\ny", "IVR_QUEUE=sales"]
    assert fields_from(parsed)["chanvariable"] == "IVR_QUEUE=sales"


def test_u2028_does_not_split_and_the_stream_survives_a_refused_message() -> None:
    stream = ami_wire(newchannel("Eve\u2028Uniqueid: victim.1"),
                      [*newchannel(), ("Channel", "again")],
                      [("Event", "FullyBooted"), ("Status", "Fully Booted")])
    parsed = MessageParser().feed(stream)
    assert isinstance(parsed[0], dict)
    assert parsed[0]["CallerIDName"] == "Eve\u2028Uniqueid: victim.1"
    assert isinstance(parsed[1], AmiProtocolError)
    assert parsed[2] == {"Event": "FullyBooted", "Status": "Fully Booted"}


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_any_chunking_gives_the_same_messages(cuts: list[int]) -> None:
    stream = ami_wire(newchannel("José 김"), [("Response", "Success"), ("ActionID", "7")])
    parser, out, last = MessageParser(), [], 0
    for cut in sorted(c for c in cuts if c < len(stream)):
        out += parser.feed(stream[last:cut])
        last = cut
    out += parser.feed(stream[last:])
    assert out == [dict(newchannel("José 김")), {"Response": "Success", "ActionID": "7"}]


def test_a_message_without_event_or_response_is_refused() -> None:
    (parsed,) = MessageParser().feed(ami_wire([("Uniqueid", "1"), ("Channel", "x")]))
    assert isinstance(parsed, AmiProtocolError)


def test_an_endless_message_is_a_stream_error() -> None:
    with pytest.raises(AmiProtocolError, match="too long"):
        MessageParser().feed(b"Event: X\r\n" + b"Key: value\r\n" * 30_000)


def _line() -> st.SearchStrategy[bytes]:
    """A message line as a hostile or broken peer might send it (never empty, no CRLF)."""
    name = st.sampled_from(["Event", "Response", "Uniqueid", "UNIQUEID", "ChanVariable",
                            "chanvariable", "Queue", "X-y_1", "1bad", "Bad Name", "", "A" * 65])
    value = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
    sep = st.sampled_from([": ", ":", " : ", ": : "])
    text_line = st.tuples(name, sep, value).map(lambda t: "".join(t).encode())
    raw = st.binary(min_size=1, max_size=12)
    return st.one_of(text_line, text_line, raw).map(
        lambda b: b.replace(b"\r\n", b"")).filter(bool)


@given(st.lists(_line(), min_size=1, max_size=8))
def test_a_message_taken_in_one_piece_reads_as_line_by_line(lines: list[bytes]) -> None:
    # The one-piece reading is only a faster path to the line-by-line one: same headers,
    # same refusals (by type and text), whatever the lines hold.
    fast, slow = _headers_block(b"\r\n".join(lines)), _headers(lines)
    if isinstance(slow, AmiProtocolError):
        assert isinstance(fast, AmiProtocolError)
        assert str(fast) == str(slow)
    else:
        assert fast == slow


def _line_by_line(stream: bytes) -> list[Headers | AmiProtocolError]:
    """The framing as it was first written: a line at a time, a message at an empty one."""
    lines = stream.split(b"\r\n")
    tail = lines.pop()  # not ended by CRLF yet
    del tail
    if lines and lines[0].startswith(BANNER):
        lines.pop(0)
    out: list[Headers | AmiProtocolError] = []
    message: list[bytes] = []
    for line in lines:
        if line:
            message.append(line)
        elif message:
            out.append(_headers(message))
            message = []
    return out


@given(st.lists(st.one_of(_line(), st.just(b"")), max_size=12),
       st.lists(st.integers(min_value=0, max_value=200), max_size=5), st.booleans())
def test_framing_a_message_at_a_time_gives_what_framing_by_lines_gave(
    lines: list[bytes], cuts: list[int], banner: bool
) -> None:
    stream = (b"Asterisk Call Manager/11.0.0\r\n" if banner else b"") + b"".join(
        line + b"\r\n" for line in lines)
    parser, out, last = MessageParser(), [], 0
    for cut in sorted(c for c in cuts if c < len(stream)):
        out += parser.feed(stream[last:cut])
        last = cut
    out += parser.feed(stream[last:])
    expected = _line_by_line(stream)
    assert [str(m) if isinstance(m, AmiProtocolError) else m for m in out] == [
        str(m) if isinstance(m, AmiProtocolError) else m for m in expected]
