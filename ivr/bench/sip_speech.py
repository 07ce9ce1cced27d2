"""The speaking callers of ``ivr bench sip --speech``: what they say, and where it must take them.

Each caller stays quiet (digital silence, sent as RTP as a phone does) while the
speech menu of ``sip_speech_flows.yaml`` plays, says one phrase synthesised by
espeak-ng (:func:`ivr.speech.channels.speak`, the voice the ASR benchmarks use),
then stays quiet while the service decides. The audio goes out as G.711 µ-law
PCMU packets that sipp replays from a pcap (:func:`ivr.bench.sipp.speech_pcap`),
so the service hears it the way it hears a real caller: Asterisk, AudioSocket,
the endpointer and the Vosk recogniser.

The right outcome of a phrase is read from the flow file: the menu option that
lists the phrase, the queue node it leads to and that node's queue.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ivr.bench.asr_accuracy import speech_end_ms
from ivr.flows.loader import load_flowset
from ivr.flows.nodes import Menu, QueueNode
from ivr.speech import channels
from ivr.speech.wav import read_pcm

SPEECH_FLOWS = Path(__file__).with_name("sip_speech_flows.yaml")
SPEECH_FLOW = "bench_speech"
SPEECH_MENU = "speech_menu"
DEFAULT_PHRASE = "예약"
VOICE = channels.Voice("ko", 160, 50)
#: The caller starts speaking this long after the menu prompt should have ended.
AFTER_PROMPT_MS = 700
#: Silence sent after the words: the endpointer needs to hear the pause that ends them.
TAIL_MS = 2500


class PhraseError(ValueError):
    """The phrase is not one of the speech menu's options."""


@dataclass(frozen=True)
class Expected:
    """Where a caller saying the phrase must end: the queue node and its queue."""

    node: str
    queue: str


@dataclass(frozen=True)
class Utterance:
    """What one speaking caller sends after the answer, and where its words end."""

    ulaw: bytes
    #: From the start of the audio to the end of the last loud 20 ms frame of the words.
    speech_end_ms: int

    @property
    def ms(self) -> int:
        """How long the audio lasts."""
        return len(self.ulaw) // 8


def expected(phrase: str) -> Expected:
    """The queue node and queue the speech menu sends a caller saying *phrase* to."""
    flow = load_flowset(SPEECH_FLOWS).flows[SPEECH_FLOW]
    menu = flow.nodes[SPEECH_MENU]
    assert isinstance(menu, Menu)
    for option in menu.options:
        if phrase in option.say:
            node = flow.nodes[option.next]
            if isinstance(node, QueueNode):
                return Expected(option.next, node.queue)
    choices = ", ".join(p for option in menu.options for p in option.say)
    raise PhraseError(f"the speech menu has no option {phrase!r} (it offers {choices})")


def utterance(phrase: str, prompt_ms: int) -> Utterance:
    """Silence while a *prompt_ms* prompt plays, *phrase* spoken, then silence, as µ-law."""
    with tempfile.TemporaryDirectory() as tmp:
        words = read_pcm(channels.speak(phrase, VOICE, Path(tmp) / "phrase.wav"))
    lead_ms = prompt_ms + AFTER_PROMPT_MS
    pcm = bytes(16 * lead_ms) + words + bytes(16 * TAIL_MS)
    return Utterance(channels.ulaw(pcm), speech_end_ms(words, lead_ms))
