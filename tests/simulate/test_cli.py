"""``ivr simulate main … --json`` reaches every outcome of the shipped example flow.

These run the real command in a subprocess against the real ``flows.yaml``;
the account lookup is a real HTTP POST to the demo backend.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT

OPEN = "2026-11-20T10:00-05:00"  # a Friday morning in the flows' calendar
CLOSED = "2026-11-22T23:00-05:00"  # Sunday night
PIN = "4321"


def simulate(*inputs: str, at: str = OPEN, flow: str = "main",
             extra: tuple[str, ...] = ()) -> dict[str, Any]:
    args = [sys.executable, "-m", "ivr", "simulate", flow, "--json", "--at", at,
            "--caller", "+15550199", *extra]
    for value in inputs:
        args += ["--input", value]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    # The simulator's own call id is sim-<nanoseconds>, which can hold "4321" by chance (it
    # did once in a full run); it is no caller input, so the PIN is looked for everywhere else.
    call_id = str(result["variables"].get("call_id", ""))
    assert PIN not in done.stdout.replace(call_id, "")
    return result


def test_keys_reach_the_sales_queue() -> None:
    result = simulate("1", "1")
    assert (result["outcome"], result["queue"]) == ("queue", "sales")
    assert result["path"] == ["choose_language", "check_hours", "main_menu", "sales_queue"]
    assert result["variables"]["caller"] == "+15550199"
    assert result["prompts"][-1] == "Connecting you to our sales team."


def test_speech_reaches_the_billing_queue_in_spanish() -> None:
    result = simulate("2", "say:facturación")
    assert result["language"] == "es"
    assert result["outcome"] == "queue"
    assert result["queue"] == "billing"


def test_a_narrow_band_caller_is_asked_before_the_pick_is_taken() -> None:
    result = simulate("2", "narrow:say:facturación", "1")
    assert (result["outcome"], result["queue"]) == ("queue", "billing")
    asked = [p for p in result["prompts"] if "facturación" in p]
    assert asked, result["prompts"]  # "Did you say facturación?" (Spanish), answered with 1
    rejected = simulate("2", "narrow:say:facturación", "2", "hangup")
    assert rejected["outcome"] != "queue"


def test_balance_is_answered_by_a_real_http_lookup(balance_backend: str) -> None:
    result = simulate("1", "3", "123456", "1", f"{PIN}#", "2")
    assert result["outcome"] == "self_service"
    assert "fetch_balance" in result["path"]
    assert "Your balance is 42.50 dollars, due on December 15." in result["prompts"]
    assert result["variables"]["account"] == "123456"
    assert "pin" not in result["variables"]  # sensitive: never shown


def test_keys_typed_ahead_reach_the_next_question(balance_backend: str) -> None:
    result = simulate("1", "3123456", "1", f"{PIN}#", "2")  # the README's type-ahead example
    assert result["outcome"] == "self_service"
    assert result["variables"]["account"] == "123456"


def test_a_wrong_pin_is_sent_to_billing_agents(balance_backend: str) -> None:
    result = simulate("1", "3", "123456", "1", "9999#")
    assert result["path"][-2:] == ["not_found", "to_billing"]
    assert result["queue"] == "billing"


def test_after_hours_callers_leave_a_voicemail() -> None:
    result = simulate("1", at=CLOSED)
    assert result["outcome"] == "voicemail"
    assert result["path"] == ["choose_language", "check_hours", "after_hours"]


def test_three_failed_pins_hang_up() -> None:
    result = simulate("1", "3", "123456", "1", "12#", "timeout", "9#")
    assert result["outcome"] == "hangup"
    assert result["node"] == "too_many_tries"
    assert result["prompts"][-1].startswith("For your security")


def test_no_valid_choice_in_the_main_menu_goes_to_the_operator() -> None:
    # A key the menu does not offer is ignored, as on a phone: 9 then silence is no input.
    result = simulate("1", "9", "timeout", "say:pizza", "say:pizza")
    assert (result["outcome"], result["queue"]) == ("queue", "operator")
    assert result["reason"] == "max_attempts:no_match"  # the last try was words it knew not
    assert "keys 9 are not taken at main_menu: ignored, as on a phone" in result["notes"]


def test_the_caller_hanging_up_is_abandoned_where_they_were() -> None:
    result = simulate("1", "hangup")
    assert (result["outcome"], result["node"]) == ("abandoned", "main_menu")


def test_csat_survey_records_the_score() -> None:
    result = simulate("4", flow="csat")
    assert result["survey_score"] == 4


def test_interactive_mode_reads_keys_and_speech_from_the_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "simulate", "main", "--at", OPEN],
        input="1\nsay:support\nsay:my internet is down\n", cwd=ROOT, capture_output=True,
        text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "♪ For English, press 1." in done.stdout
    assert "[main_menu]" in done.stdout
    assert "outcome: queue (queue support)" in done.stdout
