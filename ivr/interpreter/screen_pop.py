"""The ``IvrHandoff`` UserEvent: what an agent's desktop shows when a caller reaches the queue.

A first-time hand-off (the session) and an answered callback (its leg) announce the caller
the same way: the channel's identity, then each hand-off variable under a header named for
it. It goes out once the line is back with the dialplan, so the caller never waits for its
round trip to join the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ivr.ami.client import AmiClient
from ivr.ami.messages import AmiError

log = logging.getLogger(__name__)

EVENT = "IvrHandoff"


def handoff_header(name: str) -> str:
    """Name the UserEvent header for a channel variable: ``IVR_QUEUE`` -> ``Ivr-Queue``.

    Flow variables keep their own spelling: ``IVR_VAR_account`` -> ``Ivr-Var-account``.
    """
    if name.startswith("IVR_VAR_"):
        return "Ivr-Var-" + name[len("IVR_VAR_"):].replace("_", "-")
    return "-".join(part.capitalize() for part in name.split("_"))


def screen_pop(uniqueid: str, channel: str, caller: str,
               variables: Mapping[str, str]) -> dict[str, object]:
    """The UserEvent's headers for a caller handed off with channel *variables*."""
    headers: dict[str, object] = {"Uniqueid": uniqueid, "Channel": channel,
                                  "CallerIDNum": caller}
    headers.update({handoff_header(name): value for name, value in variables.items()})
    return headers


async def send_screen_pop(ami: AmiClient, headers: Mapping[str, object]) -> None:
    """Broadcast the screen-pop; a failure is logged, never the caller's problem."""
    try:
        await ami.user_event(EVENT, dict(headers))
    except (AmiError, ValueError) as exc:
        log.warning("screen-pop UserEvent for %s not sent: %s", headers.get("Uniqueid"), exc)
