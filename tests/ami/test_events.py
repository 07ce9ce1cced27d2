"""The service asks AMI only for the events it acts on, and manager.conf says the same.

Pure checks here: the shipped manager.conf filters the service's user to exactly
:data:`ivr.ami.events.SERVICE_EVENTS`, the login asks only for their classes, and
the client drops anything else before any listener. Against the real Asterisk:
tests/asterisk/test_ami_events.py.
"""

from __future__ import annotations

import configparser
import re
from typing import Any

from panoramisk.message import Message

from ivr.ami.client import AmiClient
from ivr.ami.events import EVENT_CLASSES, SERVICE_EVENTS, WANTED, manager_conf_lines
from tests.conftest import ROOT

MANAGER_CONF = ROOT / "asterisk_conf" / "manager.conf"
_FILTER = re.compile(r"^eventfilter\(action\(include\),name\((\w+)\)\)$")


def _service_user() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(comment_prefixes=(";",), strict=False,
                                       interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep event names' case
    parser.read_string(MANAGER_CONF.read_text())
    return parser["ivr"]


def test_manager_conf_filters_the_service_user_to_exactly_the_events_it_uses() -> None:
    user = _service_user()
    names = [m.group(1) for key in user if (m := _FILTER.match(key))]
    assert names == list(SERVICE_EVENTS)
    assert all(user[f"eventfilter(action(include),name({n}))"] == "" for n in names)
    # Every filter line is the one ivr.ami.events would write (no regex filters: costly).
    written = [line.split(" =")[0] for line in manager_conf_lines()]
    assert [k for k in user if k.startswith("eventfilter")] == written


def test_the_login_asks_only_for_the_classes_of_those_events() -> None:
    assert set(EVENT_CLASSES.split(",")) == {"system", "call", "agent"}
    assert "reporting" not in EVENT_CLASSES  # RTCP reports: many per call, never used
    assert "dialplan" not in EVENT_CLASSES  # Newexten, VarSet: one per dialplan step


def _event(name: str, **headers: str) -> Any:
    return Message({"Event": name, **headers})


def test_the_client_drops_other_events_before_any_listener() -> None:
    client = AmiClient()
    heard: list[str] = []
    client.listeners.append(lambda fields: heard.append(fields["event"]))
    for name in ("Newchannel", "VarSet", "RTCPSent", "Hangup", "QueueCallerJoin"):
        client.dispatch(_event(name, Uniqueid="1.1", Queue="sales", Channel="PJSIP/a-1"))
    assert heard == ["Hangup", "QueueCallerJoin"]
    assert client.events_seen["newchannel"] == 1  # counted: the filters let it through
    assert {"hangup", "queuecallerjoin"} <= WANTED
