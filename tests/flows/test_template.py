"""Templates: variables, defaults after a pipe, the readback marker, literal braces."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.flows.template import Field, TemplateError, parse, render

VARS = {"tier": "gold", "pin": "4321", "reply": {"amount": 42.0, "ok": True}, "empty": ""}


@pytest.mark.parametrize(("template", "spoken"), [
    ("Hello {tier} customer", "Hello gold customer"),
    ("Hello {segment|valued} customer", "Hello valued customer"),
    ("Hello {tier|valued} customer", "Hello gold customer"),
    ("{nobody|}x", "x"),
    ("{empty|fallback}", ""),                  # set but empty is still set
    ("{reply.amount} {reply.ok}", "42 yes"),
    ("{reply.missing|n/a}", "n/a"),
    ("{{literal}} {tier}", "{literal} gold"),
    ("{tier|a:b!c}", "gold"),
    ("{nobody|a:b!c}", "a:b!c"),
])
def test_render(template: str, spoken: str) -> None:
    assert render(template, VARS) == spoken


def test_a_secret_is_silent_unless_read_back() -> None:
    assert render("PIN {pin}.", VARS, hidden={"pin"}) == "PIN ."
    assert render("PIN {pin!readback}.", VARS, hidden={"pin"}) == "PIN 4 3 2 1."
    # A value already spaced for reading is not spaced twice.
    assert render("{pin!readback}", {"pin": "4 3 2 1"}) == "4 3 2 1"
    assert render("{reply.amount}", VARS, hidden={"reply"}) == ""


def test_parse_keeps_the_pieces() -> None:
    assert parse("a {x|y} b {p!readback}") == [
        "a ", Field("x", "y"), " b ", Field("p", readback=True)]


@pytest.mark.parametrize("template", [
    "{", "}", "a {b", "{a b}", "{a!shout}", "{pin!readback|0}", "{a.}", "{__import__('os')}",
    "{a[0]}", "{a:>10}", "{}",
])
def test_malformed_templates_are_refused_with_a_reason(template: str) -> None:
    with pytest.raises(TemplateError):
        parse(template)
    assert render(template, VARS) == template  # the engine never raises on one


@given(st.text(max_size=30))
def test_url_escaping_keeps_caller_values_inside_one_path_segment(value: str) -> None:
    url = render("http://h/x/{v}?y=1", {"v": value}, escape=lambda s: quote(s, safe=""))
    assert url.startswith("http://h/x/")
    assert url.count("/") == 4
    assert url.endswith("?y=1")
    assert url.count("?") == 1
