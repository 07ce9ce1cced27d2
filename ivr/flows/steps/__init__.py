"""One module per node kind; :data:`STEPS` maps a node's ``type`` to its behaviour."""

from __future__ import annotations

from typing import Any

from ivr.flows.steps.base import Step
from ivr.flows.steps.branch import BranchStep
from ivr.flows.steps.callback import CallbackStep
from ivr.flows.steps.collect import CollectStep
from ivr.flows.steps.lookup import LookupStep
from ivr.flows.steps.menu import MenuStep
from ivr.flows.steps.queue import QueueStep
from ivr.flows.steps.recording import RecordStep, VoicemailStep
from ivr.flows.steps.simple import GotoStep, HangupStep, PlayStep, SetStep, TransferStep
from ivr.flows.steps.split import SplitStep
from ivr.flows.steps.survey import SurveyStep

STEPS: dict[str, type[Step[Any]]] = {
    step.kind: step
    for step in (
        MenuStep, CollectStep, PlayStep, BranchStep, LookupStep, SetStep, QueueStep,
        TransferStep, VoicemailStep, RecordStep, SurveyStep, HangupStep, GotoStep,
        CallbackStep, SplitStep,
    )
}
