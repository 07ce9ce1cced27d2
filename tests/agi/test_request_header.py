"""The FastAGI header block against hostile caller-controlled values (issue 12, item 1).

Blocks are built byte for byte as Asterisk 22 writes them (``launch_netscript`` and
``setup_env`` in res_agi.c: ``agi_name: value`` + LF, values unescaped, arguments last).
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.agi.channel import AgiChannel
from ivr.agi.protocol import RemoteProtocolError, RequestParser, parse_request_block
from ivr.agi.server import AgiServer

#: Headers a caller can steer (SIP From user and display name, To/R-URI, Diversion) and those
#: only Asterisk and the dialplan write.
CALLER_KEYS = ("agi_callerid", "agi_calleridname", "agi_dnid", "agi_rdnis", "agi_extension")
INJECTION = "Eve\u2028agi_uniqueid: victim.1\u2028agi_network_script: csat"


def asterisk_env(caller: dict[str, str], args: list[str]) -> list[tuple[str, str]]:
    """The headers of one FastAGI request in Asterisk 22's order, caller values filled in."""
    values = {
        "agi_callerid": "0212345678", "agi_calleridname": "Alice", "agi_dnid": "1000",
        "agi_rdnis": "unknown", "agi_extension": "s", **caller,
    }
    return [
        ("agi_network", "yes"),
        ("agi_network_script", "main"),
        ("agi_request", "agi://127.0.0.1:4573/main"),
        ("agi_channel", "PJSIP/sipp-00000007"),
        ("agi_language", "en"),
        ("agi_type", "PJSIP"),
        ("agi_uniqueid", "1700000000.7"),
        ("agi_version", "22.6.0"),
        ("agi_callerid", values["agi_callerid"]),
        ("agi_calleridname", values["agi_calleridname"]),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", values["agi_dnid"]),
        ("agi_rdnis", values["agi_rdnis"]),
        ("agi_context", "ivr-inbound"),
        ("agi_extension", values["agi_extension"]),
        ("agi_priority", "2"),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", "140245118125760"),
        *((f"agi_arg_{i}", arg) for i, arg in enumerate(args, start=1)),
    ]


def wire(env: list[tuple[str, str]], eol: str = "\n") -> bytes:
    """What Asterisk writes: each value raw, one line per header, a blank line at the end."""
    return "".join(f"{k}: {v}{eol}" for k, v in env).encode("utf-8") + eol.encode()


def is_control(ch: str) -> bool:
    """C0 (but tab), DEL and C1: what the parser must refuse (Unicode category Cc)."""
    return (ord(ch) < 0x20 and ch != "\t") or 0x7F <= ord(ch) <= 0x9F


# Every break str.splitlines() honours, the separators and fragments an attacker would try.
_FRAGMENTS = st.sampled_from([
    "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\t",
    "\x00", "agi_network_script: csat", "agi_uniqueid: victim.1", "agi_arg_1: x", ": ", "\n\n",
    "agi_request: agi://evil/csat", "200 result=1", "HANGUP",
])
_HOSTILE = st.lists(st.one_of(st.text(max_size=12), _FRAGMENTS), max_size=8).map("".join)
_NO_LF = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=40
)
_NO_LF_HOSTILE = _HOSTILE.map(lambda s: s.replace("\n", ""))


@given(
    caller=st.fixed_dictionaries({}, optional={k: st.one_of(_NO_LF, _NO_LF_HOSTILE)
                                               for k in CALLER_KEYS}),
    args=st.lists(st.one_of(_NO_LF, _NO_LF_HOSTILE), max_size=3),
)
def test_caller_values_parse_exactly_or_are_refused(
    caller: dict[str, str], args: list[str]
) -> None:
    """Any Unicode text but LF in a caller value: the original headers exactly, or a refusal."""
    env = asterisk_env(caller, args)
    values = [*caller.values(), *args]
    if any(is_control(ch) for value in values for ch in value):
        with pytest.raises(RemoteProtocolError, match="control character"):
            RequestParser().feed(wire(env))
        return
    request = RequestParser().feed(wire(env))
    assert request is not None
    assert list(request.env.items()) == env
    assert request.args == tuple(args)


@given(
    caller=st.fixed_dictionaries({}, optional={k: _HOSTILE for k in CALLER_KEYS}),
    args=st.lists(_HOSTILE, max_size=3),
)
def test_even_a_raw_line_feed_cannot_change_asterisks_own_headers(
    caller: dict[str, str], args: list[str]
) -> None:
    """Asterisk writes values unescaped, so a LF a SIP URI smuggled in (%0A) reaches us raw.

    Then the block is refused, or every header Asterisk wrote itself is unchanged: an
    injected line repeats a header that is already there (or follows the arguments).
    """
    env = asterisk_env(caller, args)
    try:
        request = RequestParser().feed(wire(env))
    except RemoteProtocolError:
        return
    assert request is not None
    own = {k: v for k, v in env if k not in CALLER_KEYS and not k.startswith("agi_arg_")}
    for key, value in request.env.items():
        if key in own:
            assert value == own[key], key
    assert request.script == "main"
    assert request.uniqueid == "1700000000.7"
    assert request.get("request") == "agi://127.0.0.1:4573/main"


@pytest.mark.parametrize("key", CALLER_KEYS)
def test_the_reported_exploit_leaves_script_and_call_id_alone(key: str) -> None:
    request = RequestParser().feed(wire(asterisk_env({key: INJECTION}, [])))
    assert request is not None
    assert request.script == "main"
    assert request.uniqueid == "1700000000.7"
    assert request.get(key.removeprefix("agi_")) == INJECTION


@pytest.mark.parametrize("value", ["José Müller", "김철수", "Eve\tSmith", "O'Brien: \"VIP\"", ""])
def test_real_caller_names_parse_unchanged(value: str) -> None:
    request = RequestParser().feed(wire(asterisk_env({"agi_calleridname": value}, [value])))
    assert request is not None
    assert request.get("calleridname") == value
    assert request.args == (value,)


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\v", "\f", "\r", "\x1c", "\x1e", "\x7f", "\x85"])
def test_control_characters_are_refused_naming_the_header_not_the_value(ch: str) -> None:
    env = asterisk_env({"agi_calleridname": f"secret{ch}name"}, [])
    with pytest.raises(RemoteProtocolError) as caught:
        RequestParser().feed(wire(env))
    assert "agi_calleridname" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_raw_line_feed_injection_is_a_repeated_header() -> None:
    env = asterisk_env({"agi_callerid": "1\nagi_network_script: csat"}, [])
    with pytest.raises(RemoteProtocolError, match="agi_network_script repeated"):
        RequestParser().feed(wire(env))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("agi_request: a\nagi_arg_2: x\n", "want agi_arg_1"),
        ("agi_request: a\nagi_arg_1: x\nagi_callerid: 1\n", "after the arguments"),
        ("agi_request: a\nagi_request: b\n", "repeated"),
        ("agi_request: a\nAGI_CALLERID: 1\n", "line 2"),
        ("agi_request: a\n agi_callerid: 1\n", "line 2"),
    ],
)
def test_structure_rules(block: str, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        parse_request_block(block)


def test_crlf_blocks_are_tolerated_but_not_mixed() -> None:
    env = asterisk_env({"agi_calleridname": INJECTION}, ["one", ""])
    request = RequestParser().feed(wire(env, eol="\r\n"))
    assert request is not None
    assert list(request.env.items()) == env
    mixed = b"agi_request: agi://h/main\r\nagi_callerid: 1\nagi_dnid: 2\r\n\r\n"
    with pytest.raises(RemoteProtocolError, match="CRLF"):
        RequestParser().feed(mixed)


def test_a_block_cannot_start_blank() -> None:
    for data in (b"\n", b"\r\n"):
        with pytest.raises(RemoteProtocolError, match="blank"):
            RequestParser().feed(data)


async def test_the_exploit_over_a_real_socket_runs_the_requested_flow() -> None:
    """The report's shape end to end through the listener: the handler sees ``main``."""
    seen: list[tuple[str, str, str]] = []

    async def handler(channel: AgiChannel) -> None:
        request = channel.request
        seen.append((request.script, request.uniqueid, request.get("calleridname")))

    async with AgiServer(handler, port=0) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(wire(asterisk_env({"agi_calleridname": INJECTION}, [])))
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # handler done, socket closed
        writer.close()
        await writer.wait_closed()
    assert seen == [("main", "1700000000.7", INJECTION)]
