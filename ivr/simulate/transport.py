"""The simulator's transport: the interpreter's effects answered by a scripted or typed phone.

``ivr simulate`` runs a call through the same :class:`~ivr.interpreter.session.CallSession`
as a live FastAGI call; only the line differs. Prompts become text (sensitive ones are
shown as ``[sensitive]``), the caller's side is :class:`~ivr.simulate.phone.Phone`, and a
recording is simulated. Lookups are the interpreter's own, so they are real HTTP requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from ivr.flows import effects as fx
from ivr.flows.events import Event, Hangup, Recorded
from ivr.interpreter.transport import CallerGone, Line
from ivr.simulate.phone import Phone

T = TypeVar("T")
#: Told each prompt as it is "played".
PromptSink = Callable[[str], None]
#: A simulated recording's length, in seconds.
RECORDED_S = 5.0


class ScriptedTransport:
    """One simulated caller; *shown* collects each prompt's text as it is played."""

    def __init__(self, phone: Phone, line: Line, shown: list[str],
                 on_prompt: PromptSink | None = None, max_steps: int = 500) -> None:
        self.phone = phone
        self._line = line
        self.shown = shown
        self.on_prompt = on_prompt
        self.max_steps = max_steps
        self.steps = 0
        #: Hand-off variables the call set, as Asterisk's channel would hold them.
        self.variables: dict[str, str] = {}
        self._gone = False

    @property
    def line(self) -> Line:
        """The simulated call's identity."""
        return self._line

    @property
    def hung_up(self) -> bool:
        """True once the simulated caller hung up."""
        return self._gone

    async def answer(self) -> None:
        """Nothing to answer on a simulated line."""

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Keep the hand-off variables."""
        self.variables.update(values)

    async def hangup(self) -> None:
        """The service hangs up on the simulated caller."""
        self._gone = True

    async def release(self) -> None:
        """Nothing to hand back on a simulated line."""

    async def play(self, effect: fx.Play) -> Event:
        """Show the prompts; typed-ahead keys may stop them."""
        self._step(effect.prompts)
        return self._heard(self.phone.play(effect))

    async def gather(self, effect: fx.Gather) -> Event:
        """Show the prompts and take the caller's answer."""
        self._step(effect.prompts)
        return self._heard(await self.phone.gather(effect))

    async def record(self, effect: fx.Record, name: str) -> Event:
        """Show the prompt and simulate a recording of :data:`RECORDED_S` seconds."""
        self._step(effect.prompts)
        self._hangs_up_now()
        self.phone.lose_keys(effect.node, "the recording prompt")
        self.phone.notes.append(f"simulated a recording at {effect.node}")
        return Recorded(f"{name}.wav", RECORDED_S, reason="silence")

    async def hold(self, work: Awaitable[object]) -> None:
        """Store the last step. A simulated phone keeps typed-ahead keys anyway."""
        await work

    async def wait(self, effect: fx.Lookup | fx.CheckQueue,
                   work: Callable[[], Awaitable[T]]) -> T:
        """The caller may hang up now; keys typed ahead are kept, as the phone listens."""
        self._step(())
        self._hangs_up_now()
        return await work()

    def _step(self, prompts: tuple[fx.Prompt, ...]) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            self.phone.notes.append(f"stopped after {self.max_steps} steps")
            self._gone = True
            raise CallerGone("step limit")
        for p in prompts:
            text = ("[sensitive]" if p.sensitive
                    else p.text if p.text is not None else f"<{p.file}>")
            self.shown.append(text)
            if self.on_prompt:
                self.on_prompt(text)

    def _hangs_up_now(self) -> None:
        if self.phone.hangs_up_now():
            self._gone = True
            raise CallerGone("the caller hung up")

    def _heard(self, event: Event) -> Event:
        if isinstance(event, Hangup):
            self._gone = True
            raise CallerGone("the caller hung up")
        return event
