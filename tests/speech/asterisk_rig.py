"""A rig for speech tests through the real Asterisk 22: two AGI halves and a test "phone".

A Local/ call is originated over AMI. Its IVR half runs our FastAGI handler,
which listens with :func:`ivr.speech.gather.gather` (``EXEC AudioSocket`` to
the service's server). Its caller half runs AGI too and connects its own
AudioSocket to a second server in this test: that is the "phone", which
speaks an espeak-ng Korean phrase at a known moment and timestamps every
audio frame it hears, so barge-in is measured where the caller hears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.flows.effects import DigitSpec, Gather, Prompt, SpeechSpec
from ivr.flows.events import Digits, SpeechHeard
from ivr.flows.nodes import Option
from ivr.speech.audiosocket.protocol import AudioFrame, HangupFrame, split_pcm
from ivr.speech.audiosocket.server import AudioSocketServer, AudioSocketSession
from ivr.speech.endpoint import Endpointer, EndpointSettings, SpeechStarted
from ivr.speech.gather import SpeechService, gather
from ivr.speech.listen import Turn
from ivr.speech.models import LoadedModel, shared_registry
from tests.asterisk.fixtures import AmiObserver, Sandbox
from tests.speech.fixtures import korean_menu_node

#: The Korean test flow's main menu: options said with one word each, keys 1-8.
MENU = korean_menu_node()
LONG_PROMPT = str(MENU.prompt)
FRAME_S = 0.020


@dataclass
class Phone:
    """The caller half: speaks ``speech`` after ``lead_s`` and logs what it hears."""

    speech: bytes
    lead_s: float
    #: Speak this long after the prompt stopped arriving instead of at ``lead_s`` (which then
    #: only bounds the wait): on a loaded machine the IVR half may connect late, and a fixed
    #: lead then had the phrase barge into the prompt.
    after_prompt_s: float | None = None
    heard: list[tuple[float, int]] = field(default_factory=list)
    speech_onset: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def onset_offset_s(self) -> float:
        ep = Endpointer(EndpointSettings(no_input_ms=None))
        for ev in ep.feed(self.speech):
            if isinstance(ev, SpeechStarted):
                return ev.at_ms / 1000
        raise AssertionError("the phrase has no speech in it")

    async def run(self, session: AudioSocketSession) -> None:
        stop = asyncio.Event()
        frames = split_pcm(bytes(int(self.lead_s * 16000)) + self.speech + bytes(16000 * 10))

        async def hear() -> None:
            while True:
                frame = await session.frames.get()
                if frame is None or isinstance(frame, HangupFrame):
                    stop.set()
                    return
                if isinstance(frame, AudioFrame):
                    self.heard.append((time.monotonic(), len(frame.pcm)))

        listener = asyncio.create_task(hear())
        start = time.monotonic()
        if self.after_prompt_s is not None:
            await self._wait_for_prompt_end(session, stop, start + self.lead_s)
            frames = split_pcm(self.speech + bytes(16000 * 10))
            start = time.monotonic() - self.lead_s
        self.speech_onset = start + self.lead_s + self.onset_offset_s()
        await session.play(frames, stop)
        stop.set()
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await session.hangup()
        self.done.set()

    async def _wait_for_prompt_end(
        self, session: AudioSocketSession, stop: asyncio.Event, latest: float
    ) -> None:
        # Send line silence (the call needs audio) until the prompt has come and gone.
        assert self.after_prompt_s is not None
        while not stop.is_set() and time.monotonic() < latest:
            last = self.heard[-1][0] if self.heard else None
            if last is not None and time.monotonic() - last >= self.after_prompt_s:
                return
            await session.play(split_pcm(bytes(1600)), stop)

    def prompt_stopped_at(self) -> float | None:
        """Arrival of the last prompt frame (Asterisk sends nothing while we send nothing)."""
        return self.heard[-1][0] if self.heard else None


Handler = Callable[[AgiChannel], Awaitable[None]]


@dataclass
class Rig:
    agi: AgiServer
    ivr_service: SpeechService
    phone_server: AudioSocketServer
    observer: AmiObserver
    handlers: dict[str, Handler]


@pytest.fixture
async def rig(
    asterisk: Sandbox, ami_observer: AmiObserver, ko_model: LoadedModel
) -> AsyncIterator[Rig]:
    server = AudioSocketServer("127.0.0.1", 0)
    phone_server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    await phone_server.start()
    handlers: dict[str, Handler] = {}

    async def dispatch(channel: AgiChannel) -> None:
        await handlers[channel.request.script](channel)

    agi = AgiServer(dispatch, port=0)
    await agi.start()
    yield Rig(agi, SpeechService(server, shared_registry()), phone_server, ami_observer, handlers)
    await agi.close()
    await server.close()
    await phone_server.close()


async def place_call(
    rig: Rig, phone: Phone, ivr: Handler | None, ivr_url: str | None = None
) -> None:
    """Originate a Local/ call; the caller half connects *phone*.

    The IVR half runs *ivr* on the rig's FastAGI server, or goes to *ivr_url*.
    """
    handlers = rig.handlers
    phone_uuid = uuid.uuid4()
    connected = rig.phone_server.expect(phone_uuid)

    async def caller(channel: AgiChannel) -> None:
        await channel.exec_app("AudioSocket", f"{phone_uuid},127.0.0.1:{rig.phone_server.port}")

    handlers["ko-caller"] = caller
    if ivr is not None:
        handlers["ko-menu"] = ivr
    port = rig.agi.port
    response = await asyncio.to_thread(
        rig.observer.action,
        "Originate",
        Channel="Local/s@ivr-test-entry",
        Application="AGI",
        Data=f"agi://127.0.0.1:{port}/ko-caller",
        Async="true",
        Variable=f"IVR_AGI_URL={ivr_url or f'agi://127.0.0.1:{port}'},IVR_FLOW=ko-menu",
    )
    assert response["Response"] == "Success", response
    session = await asyncio.wait_for(connected, 20)
    phone.task = asyncio.create_task(phone.run(session))


TurnRunner = Callable[[AgiChannel], Awaitable[Turn]]


async def key_call(rig: Rig, listen: TurnRunner, key: str) -> Turn:
    """Call with the sandbox's DTMF caller (waits 2 s, presses *key*); return the IVR's turn."""
    turns: asyncio.Queue[Turn] = asyncio.Queue()

    async def ivr(channel: AgiChannel) -> None:
        await channel.answer()
        await turns.put(await listen(channel))
        await channel.set_variable("IVR_OUTCOME", "hangup")

    rig.handlers["ko-menu"] = ivr
    port = rig.agi.port
    response = await asyncio.to_thread(
        rig.observer.action,
        "Originate",
        Channel="Local/s@ivr-test-entry",
        Context="ivr-test-caller",
        Exten="s",
        Priority="1",
        Async="true",
        Variable=f"IVR_AGI_URL=agi://127.0.0.1:{port},IVR_FLOW=ko-menu,TEST_WAIT=2,"
        f"TEST_DTMF={key},TEST_HOLD=10",
    )
    assert response["Response"] == "Success", response
    return await asyncio.wait_for(turns.get(), 40)


def korean_menu() -> Gather:
    """Return the ``Gather`` the engine asks for at the Korean menu: its phrases and keys."""
    return Gather(
        node="main",
        prompts=(Prompt(text=LONG_PROMPT, language="ko"),),
        digits=DigitSpec(timeout_s=6.0, valid_keys="".join(o.key for o in MENU.options if o.key)),
        speech=SpeechSpec(
            language="ko",
            phrases=tuple(p for o in MENU.options for p in o.say),
            end_silence_ms=600,
        ),
    )


def chosen(turn: Turn, threshold: float = 0.5) -> Option | None:
    """Return the menu option the input picks (the engine's rule: phrase or key)."""
    event = turn.event
    if isinstance(event, Digits):
        return next((o for o in MENU.options if o.key == event.digits), None)
    if not isinstance(event, SpeechHeard) or event.confidence < threshold:
        return None
    return next((o for o in MENU.options if event.text in o.say), None)


async def run_menu_call(rig: Rig, prompt: Path, phone: Phone) -> Turn:
    turns: asyncio.Queue[Turn] = asyncio.Queue()

    async def ivr(channel: AgiChannel) -> None:
        await channel.answer()
        turn = await gather(korean_menu(), channel.exec_app, [prompt], rig.ivr_service)
        await turns.put(turn)
        await channel.set_variable("IVR_OUTCOME", "hangup")

    await place_call(rig, phone, ivr)
    turn = await asyncio.wait_for(turns.get(), 40)
    await asyncio.wait_for(phone.done.wait(), 20)
    return turn


