"""``branch``: the first case whose condition holds picks the next node.

Conditions on live queue state ask the adapter once per queue (``CheckQueue``)
and then evaluate purely; business hours use the time the adapter passed in.
"""

from __future__ import annotations

import re

from ivr.flows.effects import CheckQueue
from ivr.flows.events import Event, QueueStatus
from ivr.flows.hours import is_open
from ivr.flows.nodes import Branch
from ivr.flows.parts import Condition
from ivr.flows.steps.base import Go, Step, Transition, UnexpectedEvent, Wait
from ivr.flows.template import lookup


class BranchStep(Step[Branch]):
    """One visit to a branch node."""

    kind = "branch"
    #: The queue whose state was asked for and not yet answered.
    _checking: str = ""

    def enter(self) -> Transition:
        for case in self.node.cases:
            queue = case.when.queue
            if queue is not None and queue not in self.state.queue_state:
                self._checking = queue
                return Wait((CheckQueue(self.name, self._asterisk_name(queue)),))
            if self.holds(case.when):
                return Go(case.next)
        return Go(self.node.default)

    def handle(self, event: Event) -> Transition:
        if not isinstance(event, QueueStatus):
            raise UnexpectedEvent(f"branch {self.name!r} did not expect {event!r}")
        self.state.queue_state[self._checking] = event
        self.state.note("lookup", {"queue": self._checking, "available": event.available,
                                   "callers": event.callers, "wait_s": event.estimated_wait_s})
        return self.enter()

    def _asterisk_name(self, queue: str) -> str:
        conf = self.state.flowset.document.queues.get(queue)
        return conf.asterisk if conf and conf.asterisk else queue

    def holds(self, c: Condition) -> bool:
        """Evaluate one condition against the call (all given fields must hold)."""
        s = self.state
        checks: list[bool] = []
        if c.variable is not None:
            value = lookup(s.variables, c.variable)
            text = None if value is None else str(value)
            checks += _value_checks(c, text)
        if c.caller is not None:
            checks.append(re.search(c.caller, s.record.caller or "") is not None)
        if c.language is not None:
            checks.append(s.language == c.language)
        calendars = s.flowset.document.calendars
        if c.open is not None:
            checks.append(c.open in calendars and is_open(calendars[c.open], s.now))
        if c.closed is not None:
            checks.append(c.closed in calendars and not is_open(calendars[c.closed], s.now))
        if c.queue is not None:
            checks += _queue_checks(c, s.queue_state.get(c.queue))
        return all(checks)


def _value_checks(c: Condition, text: str | None) -> list[bool]:
    out: list[bool] = []
    if c.is_set is not None:
        out.append((text not in (None, "")) == c.is_set)
    if c.equals is not None:
        out.append(text == c.equals)
    if c.not_equals is not None:
        out.append(text != c.not_equals)
    if c.one_of is not None:
        out.append(text in [str(v) for v in c.one_of])
    if c.matches is not None:
        out.append(text is not None and re.search(c.matches, text) is not None)
    for bound, above in ((c.greater_than, True), (c.less_than, False)):
        if bound is not None:
            number = _number(text)
            out.append(number is not None and (number > bound if above else number < bound))
    return out


def _queue_checks(c: Condition, status: QueueStatus | None) -> list[bool]:
    out: list[bool] = []
    if c.agents_available is not None:
        available = None if status is None else status.available
        out.append(available is not None and available >= c.agents_available)
    if c.wait_below is not None:
        wait = None if status is None else status.estimated_wait_s
        out.append(wait is not None and wait < c.wait_below)
    return out


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None
