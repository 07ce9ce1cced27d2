"""The replay's transport: a recorded caller answers the interpreter, at the recorded time.

A replayed call runs through :class:`~ivr.interpreter.session.CallSession` like a live
one; only the line differs. :class:`ReplayTransport` answers each blocking effect from
the :class:`~ivr.replay.inputs.Recording`: caller inputs in the order they came, prompts
played to the end unless the caller cut them short, recordings as made, the hang-up
where it happened. Lookups and queue checks go the interpreter's own way, to the
backends of :mod:`ivr.replay.replies`. :class:`Tape` is what they share: the inputs not
yet used, the recorded time so far (the session's clock, so hours checks decide as they
did on the day) and the notes.

Where the record cannot answer, :class:`NotReplayable` (a
:class:`~ivr.interpreter.transport.CallStopped`) stops the call with the reason, never
guessed: the new flow asks for input the caller never gave, or a sensitive entry lands
where its stand-in would matter. A sensitive entry that answers the same kind of
sensitive collect is fed a stand-in of the recorded length that the node accepts (its
real value is not stored); the notes say so. A sensitive entry the call refused is
replayed only when its length alone gets it refused by the node now (too short or too
long); otherwise how the node would judge it is unknown. Stand-ins are never stored or
printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from ivr.calls.record import CallRecord
from ivr.flows import effects as fx
from ivr.flows import nodes as n
from ivr.flows.engine import Call
from ivr.flows.events import Digits, Event, PlaybackDone, Recorded
from ivr.flows.flowset import FlowSet
from ivr.flows.steps.collect import accepts, global_key, keys_in_force
from ivr.interpreter.transport import CallerGone, CallStopped, Line
from ivr.replay.inputs import Input, Recording, Result

T = TypeVar("T")

#: Blocking effects one replayed call may answer before it counts as not finishing.
MAX_EVENTS = 500


class NotReplayable(CallStopped):
    """The record does not hold what the new flow asks for here."""


class Tape:
    """The recorded call being played back: what is left of it, and the time reached."""

    def __init__(self, flowset: FlowSet, call: Call, record: CallRecord,
                 recording: Recording) -> None:
        self.flowset = flowset
        self.call = call
        self.default_flow = record.flow
        self.rec = recording
        self.inputs = list(recording.inputs)
        #: The session's clock: the recorded time of the last answer given.
        self.now = record.started_at
        self.notes: list[str] = []
        self.stand_in_used = False
        self.gone = False

    def clock(self) -> dt.datetime:
        """The recorded time reached (``SessionDeps.clock``)."""
        return self.now

    def advance(self, at: dt.datetime) -> None:
        """Move the clock to *at* (never back)."""
        self.now = max(self.now, at)

    def take_input(self) -> Input:
        """The caller's next recorded answer, its time now the clock's."""
        item = self.inputs.pop(0)
        self.advance(item.at)
        return item

    def hangup_here(self, node: str, results: list[Result] | None = None) -> bool:
        """True when the caller, with nothing more to give at *node*, hung up there."""
        if results is not None and any(r.node == node for r in results):
            return False
        return not self.inputs and self.rec.hung_up_at == node

    def hang_up(self) -> CallerGone:
        """The caller hangs up, at the recorded end of the call (raise what this returns)."""
        if self.rec.ended_at is not None:
            self.advance(self.rec.ended_at)
        self.gone = True
        return CallerGone("the recorded caller hung up here")

    def take(self, results: list[Result], node: str, what: str) -> Result:
        """The recorded result of a *what* at *node*, used up; why not, if it is not usable."""
        found = next((r for r in results if r.node == node), None)
        if found is None:
            raise NotReplayable(f"the recorded call made no {what} at this node")
        results.remove(found)
        if found.problem is not None or found.event is None:
            raise NotReplayable(f"the recorded {what}: {found.problem or 'no result'}")
        return found

    def current_node(self, name: str) -> n.Node | None:
        """The definition of node *name* in the flow the new call is in now."""
        flow = str(next((e.data.get("flow") for e in reversed(self.call.record.timeline)
                         if e.kind == "node_entered"), self.default_flow))
        nodes = self.flowset.flows[flow].nodes if flow in self.flowset.flows else {}
        return nodes.get(name)


class ReplayTransport:
    """The line of a replayed call: every answer comes off the :class:`Tape`."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        record = tape.call.record
        self._line = Line(record.call_id, "replay", record.caller)
        self.steps = 0

    @property
    def line(self) -> Line:
        """The replayed call's identity."""
        return self._line

    @property
    def hung_up(self) -> bool:
        """True once the recorded caller has hung up."""
        return self.tape.gone

    async def answer(self) -> None:
        """Nothing to answer on a replayed line."""

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Nothing to hand off: a replayed call reaches no agent (and nothing is kept)."""

    async def hangup(self) -> None:
        """The flow hangs up on the caller: nothing to do on a replayed line."""

    async def release(self) -> None:
        """Nothing to hand back on a replayed line."""

    async def play(self, effect: fx.Play) -> Event:
        """Played to the end, unless the caller's next keys cut it short or they hung up."""
        self._step()
        tape = self.tape
        if tape.inputs and tape.inputs[0].interrupted:
            return tape.take_input().event or PlaybackDone()
        if tape.hangup_here(effect.node):
            raise tape.hang_up()
        return PlaybackDone()

    async def gather(self, effect: fx.Gather) -> Event:
        """The caller's next recorded answer (a stand-in for a sensitive one)."""
        self._step()
        tape = self.tape
        if not tape.inputs:
            if tape.rec.hung_up_at is not None:
                raise tape.hang_up()
            raise NotReplayable("the new flow asks for input here that the caller never gave")
        item = tape.take_input()
        if item.event is not None:
            return item.event
        return self._stand_in(effect, item)

    async def record(self, effect: fx.Record, name: str) -> Event:
        """The recording the call made at this node."""
        self._step()
        tape = self.tape
        if tape.hangup_here(effect.node, tape.rec.recordings):
            raise tape.hang_up()
        found = tape.take(tape.rec.recordings, effect.node, "recording")
        tape.advance(found.at)
        assert isinstance(found.event, Recorded)
        return found.event

    async def hold(self, work: Awaitable[object]) -> None:
        """Store the last step. A replayed caller's keys come off the tape."""
        await work

    async def wait(self, effect: fx.Lookup | fx.CheckQueue,
                   work: Callable[[], Awaitable[T]]) -> T:
        """The caller hung up during this lookup or check, or the session's backend answers."""
        self._step()
        tape = self.tape
        results = tape.rec.lookups if isinstance(effect, fx.Lookup) else tape.rec.queue_checks
        if tape.hangup_here(effect.node, results):
            raise tape.hang_up()
        return await work()

    def _step(self) -> None:
        self.steps += 1
        if self.steps > MAX_EVENTS:
            raise NotReplayable(f"the call did not end after {MAX_EVENTS} answers")

    def _stand_in(self, effect: fx.Gather, item: Input) -> Event:
        tape = self.tape
        length = item.sensitive_length or 0
        node = tape.current_node(effect.node)
        if not (isinstance(node, n.Collect) and node.sensitive):
            raise NotReplayable(f"the caller's sensitive entry ({length} digits) would now "
                                "answer this node, and its value is not stored")
        # The recorded entry was taken as digits, so a lone key is no operator or repeat key:
        # nor is the stand-in. The node's own rules pick it, so it passes when the node says so.
        keys = keys_in_force(node, tape.flowset.settings.keys)
        candidates = [d * length for d in "0123456789" if global_key(keys, d * length) is None]
        if not item.accepted:
            if node.min_digits <= length <= node.max_digits:
                raise NotReplayable(f"a sensitive entry ({length} digits) was refused in the "
                                    "recorded call; its value is not stored, and this node "
                                    "could accept that many digits, so how it would judge the "
                                    "entry is unknown")
            # Too short or too long for the node: any digits of that length are refused alike.
            tape.notes.append(f"sensitive entry at {effect.node} ({length} digits) refused "
                              "again by its length (a stand-in of that length)")
            return Digits(candidates[0], item.terminated_by)
        value = next((v for v in candidates if accepts(node, v)), None)
        if value is None:
            raise NotReplayable(f"no {length}-digit stand-in passes this node's rules now")
        tape.stand_in_used = True
        tape.notes.append(f"sensitive entry at {effect.node} ({length} digits) replayed with "
                          "a stand-in (its value is not stored)")
        return Digits(value, item.terminated_by)
