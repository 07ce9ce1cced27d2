"""The answered callback leg over FastAGI: greet, ask "1 now / 2 later", hand over to the queue.

Asterisk runs ``[ivr-callback]`` once the callee answers; it calls FastAGI path
``/_callback`` with ``IVR_CALLBACK_ID`` on the channel. Any instance sharing the
store can serve it: everything it needs is in the stored request. On "1" it sets
the original context on the channel (``IVR_QUEUE``, ``IVR_PRIORITY``, ``IVR_VAR_*`` …),
gives the line back, so the dialplan runs ``Queue()`` at once, and then sends the
``IvrHandoff`` UserEvent, exactly like a first-time hand-off.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from pathlib import Path

from ivr.agi.channel import AgiChannel
from ivr.agi.errors import ChannelHungUp, PromptNotPlayed
from ivr.ami.client import AmiClient
from ivr.callbacks.dispatcher import Dispatcher
from ivr.callbacks.intake import journey
from ivr.callbacks.model import CallbackRequest
from ivr.flows.effects import DigitSpec, Prompt
from ivr.flows.events import Digits
from ivr.interpreter.agi_media import collect_digits, play
from ivr.interpreter.screen_pop import screen_pop, send_screen_pop
from ivr.interpreter.session import channel_name

log = logging.getLogger(__name__)

#: The FastAGI path ``[ivr-callback]`` asks for (not a flow name: flows cannot start with _).
LEG_PATH = "_callback"


def greeting(company: str, request: CallbackRequest) -> str:
    """What the callee hears first (the topic comes from the flow file, never from a caller)."""
    topic = re.sub(r"[^\w ,.'-]", "", request.topic or "your call")[:80]
    return (f"Hello, this is {company} returning your call about {topic}. "
            "Press 1 to be connected now, or 2 to be called later.")


def leg_variables(request: CallbackRequest) -> dict[str, str]:
    """The channel variables the agent's side sees: the original call's hand-off context."""
    values = {"IVR_OUTCOME": "queue", "IVR_QUEUE": request.queue,
              "IVR_PRIORITY": str(request.priority), "IVR_CALLBACK": "1",
              "IVR_CALLBACK_ID": request.request_id, "IVR_CALL_ID": request.call_id or "",
              "IVR_PATH": ",".join(str(p) for p in request.context.get("path", []))}
    for name, value in dict(request.context.get("variables", {})).items():
        values[channel_name(f"IVR_VAR_{name}")] = str(value)
    return {k: v for k, v in values.items() if v != ""}


class CallbackLeg:
    """Serves ``agi://…/_callback``."""

    def __init__(self, dispatcher: Dispatcher, ami: AmiClient | None, recordings_dir: Path,
                 company: str, clock: Callable[[], dt.datetime]) -> None:
        self.dispatcher, self.ami = dispatcher, ami
        self.recordings_dir, self.company, self.clock = recordings_dir, company, clock

    async def __call__(self, channel: AgiChannel) -> None:
        """Run one answered callback."""
        store = self.dispatcher.store
        request_id = await channel.get_variable("IVR_CALLBACK_ID") or ""
        request = await store.get(request_id) if request_id else None
        if request is None or request.status != "dialling":
            log.warning("callback leg for unknown or settled request %r", request_id[:64])
            await channel.set_variable("IVR_OUTCOME", "hangup")
            return
        try:
            choice = await self._ask(channel, request)
        except ChannelHungUp:
            await self.dispatcher.retry(request, "no_answer", expect=("dialling",))
            return
        except PromptNotPlayed as exc:
            # The callee cannot be greeted (Asterisk does not see the prompt): tried again
            # later, as before this was told apart from a hang-up, but now said in the log.
            log.error("callback %s: greeting not played: %s", request_id[:64], exc)
            await self.dispatcher.retry(request, "no_answer", expect=("dialling",))
            await channel.set_variable("IVR_OUTCOME", "hangup")
            return
        if choice == "1":
            await self._connect(channel, request)
        elif choice == "2":
            await self.dispatcher.retry(request, "later", expect=("dialling",))
            await play(channel, (Prompt("We will call you again later. Goodbye."),),
                       self.recordings_dir, "")
            await channel.set_variable("IVR_OUTCOME", "hangup")
        else:
            # No key at all: most likely an answering machine. Try again later.
            await self.dispatcher.retry(request, "voicemail", expect=("dialling",))
            await channel.set_variable("IVR_OUTCOME", "hangup")

    async def _ask(self, channel: AgiChannel, request: CallbackRequest) -> str | None:
        prompt = Prompt(greeting(self.company, request), language=request.context.get(
            "language") or "en")
        spec = DigitSpec(min_digits=1, max_digits=1, valid_keys="12", timeout_s=6)
        for _try in range(2):
            first = await play(channel, (prompt,), self.recordings_dir, "12")
            got = await collect_digits(channel, spec, first or "")
            if isinstance(got, Digits) and got.digits in ("1", "2"):
                return got.digits
        return None

    async def _connect(self, channel: AgiChannel, request: CallbackRequest) -> None:
        now = self.clock()
        uniqueid = channel.request.uniqueid
        store = self.dispatcher.store
        if not await store.change(request.request_id, "queued", now, "callee pressed 1",
                                  expect=("dialling",), channel=uniqueid):
            await channel.set_variable("IVR_OUTCOME", "hangup")
            return
        await journey(self.dispatcher.calls, request, now, "answered", {"channel": uniqueid})
        variables = leg_variables(request)
        await channel.set_variables(variables)
        # The callee joins the queue now; the agent's screen-pop follows without holding them.
        await channel.close()
        if self.ami is not None:
            await send_screen_pop(self.ami, screen_pop(
                uniqueid, channel.request.channel, request.number, variables))
