"""AudioSocket framing: round trips, arbitrary chunking, and peer errors as events."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.audiosocket.protocol import (
    FRAME_BYTES,
    AudioFrame,
    DtmfFrame,
    ErrorFrame,
    Frame,
    FrameParser,
    HangupFrame,
    LocalProtocolError,
    ProtocolError,
    UnknownFrame,
    UuidFrame,
    encode,
    encode_frame,
    split_pcm,
)

even_pcm = st.binary(max_size=2000).map(lambda b: b[: len(b) // 2 * 2])
frames: st.SearchStrategy[Frame] = st.one_of(
    st.just(HangupFrame()),
    st.uuids().map(UuidFrame),
    st.sampled_from("0123456789*#ABCD").map(DtmfFrame),
    even_pcm.map(AudioFrame),
    st.binary(max_size=4).map(ErrorFrame),
    st.tuples(st.integers(0x20, 0xFE), st.binary(max_size=50)).map(lambda t: UnknownFrame(*t)),
)


def test_wire_format_is_kind_length_payload() -> None:
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert encode(UuidFrame(u)) == b"\x01\x00\x10" + u.bytes
    assert encode(HangupFrame()) == b"\x00\x00\x00"
    assert encode(DtmfFrame("#")) == b"\x03\x00\x01#"
    assert encode(AudioFrame(b"\x01\x02")) == b"\x10\x00\x02\x01\x02"
    assert encode(AudioFrame(b"\x00\x00", rate=16000)) == b"\x12\x00\x02\x00\x00"


@given(st.lists(frames, max_size=20), st.lists(st.integers(1, 400), min_size=1))
def test_any_chunking_yields_the_same_frames(sent: list[Frame], cuts: list[int]) -> None:
    wire = b"".join(encode(f) for f in sent)
    parser = FrameParser()
    got: list[Frame | ProtocolError] = []
    pos = 0
    i = 0
    while pos < len(wire):
        step = cuts[i % len(cuts)]
        got += parser.feed(wire[pos : pos + step])
        pos += step
        i += 1
    assert got == sent
    assert parser.buffered == 0


def test_partial_frame_waits_for_more() -> None:
    parser = FrameParser()
    wire = encode(AudioFrame(bytes(FRAME_BYTES)))
    assert parser.feed(wire[:2]) == []
    assert parser.feed(wire[2:100]) == []
    assert parser.feed(wire[100:]) == [AudioFrame(bytes(FRAME_BYTES))]


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (b"\x01\x00\x03abc", "uuid"),
        (b"\x03\x00\x01x", "dtmf"),
        (b"\x03\x00\x02" + b"12", "dtmf"),
        (b"\x10\x00\x03abc", "odd"),
    ],
)
def test_bad_frames_are_remote_errors_and_end_parsing(wire: bytes, reason: str) -> None:
    parser = FrameParser()
    out = parser.feed(wire + encode(HangupFrame()))
    assert len(out) == 1
    assert isinstance(out[0], ProtocolError)
    assert reason in out[0].reason
    assert parser.feed(encode(HangupFrame())) == []


def test_local_errors_raise() -> None:
    with pytest.raises(LocalProtocolError):
        encode_frame(0x10, bytes(0x10000))
    with pytest.raises(LocalProtocolError):
        encode(DtmfFrame("x"))
    with pytest.raises(LocalProtocolError):
        encode(AudioFrame(b"\x00"))
    with pytest.raises(LocalProtocolError):
        encode(AudioFrame(b"", rate=11025))
    with pytest.raises(LocalProtocolError):
        split_pcm(b"", 3)


@given(st.binary(max_size=3000))
def test_split_pcm_pads_to_whole_frames(pcm: bytes) -> None:
    chunks = split_pcm(pcm)
    assert all(len(c) == FRAME_BYTES for c in chunks)
    assert b"".join(chunks)[: len(pcm)] == pcm
    assert len(chunks) == -(-len(pcm) // FRAME_BYTES)


@given(st.binary(max_size=600))
def test_parser_never_raises_on_garbage(data: bytes) -> None:
    parser = FrameParser()
    for i in range(0, len(data), 7):
        parser.feed(data[i : i + 7])
