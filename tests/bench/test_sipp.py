"""The RTP a sipp caller replays: RFC 4733 keys and G.711 speech as pcap files, and its scenario."""

from __future__ import annotations

import struct
from pathlib import Path

from ivr.bench.sipp import Caller, dtmf_pcap, scenario, speech_pcap


def _packets(path: Path) -> list[tuple[int, int, bool, int, int, bytes]]:
    """(time µs, payload type, marker, seq, timestamp, payload) of each RTP packet in a pcap."""
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
    assert (magic, link) == (0xA1B2C3D4, 1)  # microsecond pcap, Ethernet frames
    out, at = [], 24
    while at < len(data):
        sec, usec, size, _ = struct.unpack("<IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + size]
        at += 16 + size
        assert frame[12:14] == b"\x08\x00"
        assert frame[14 + 9] == 17
        rtp = frame[14 + 20 + 8:]
        first, second, seq, timestamp, _ = struct.unpack("!BBHII", rtp[:12])
        assert first == 0x80  # RTP version 2, no padding, extension or CSRC
        out.append((sec * 1_000_000 + usec, second & 0x7F, bool(second & 0x80), seq, timestamp,
                    rtp[12:]))
    return out


def test_speech_goes_out_as_20_ms_pcmu_packets_in_order(tmp_path: Path) -> None:
    audio = bytes(range(256)) * 5 + b"\xff" * 80  # 1360 bytes: 8 full packets, 80 left over
    speech_pcap(tmp_path / "s.pcap", audio)
    packets = _packets(tmp_path / "s.pcap")
    assert len(packets) == 8
    assert [p[0] for p in packets] == [n * 20_000 for n in range(8)]
    assert {p[1] for p in packets} == {0}  # PCMU
    assert [p[2] for p in packets] == [True] + [False] * 7  # marker on the first only
    assert [p[3] - packets[0][3] for p in packets] == list(range(8))
    assert [p[4] - packets[0][4] for p in packets] == [n * 160 for n in range(8)]
    assert b"".join(p[5] for p in packets) == audio[:1280]


def test_each_key_has_its_own_timestamp(tmp_path: Path) -> None:
    dtmf_pcap(tmp_path / "k.pcap", "12", 1500)
    packets = _packets(tmp_path / "k.pcap")
    assert {p[1] for p in packets} == {101}
    events = sorted({(p[5][0], p[4]) for p in packets})
    assert events == [(1, 8000), (2, 8000 + 1500 * 8)]


def test_a_speaking_callers_scenario_plays_the_speech_and_waits_it_out(tmp_path: Path) -> None:
    caller = Caller(flow="bench_speech", first_ms=0, hold_ms=1500, speech=b"\xff" * 8000 * 3)
    text = scenario(caller, tmp_path / "keys.pcap", tmp_path / "speech.pcap")
    assert f'play_pcap_audio="{tmp_path / "speech.pcap"}"' in text
    assert "keys.pcap" not in text  # no keys to press
    assert '<pause milliseconds="3000"/>' in text
    assert "X-IVR-Flow: bench_speech" in text
    keys = scenario(Caller(keys="12", gap_ms=1000), tmp_path / "keys.pcap",
                    tmp_path / "speech.pcap")
    assert "speech.pcap" not in keys
    assert '<pause milliseconds="2000"/>' in keys
