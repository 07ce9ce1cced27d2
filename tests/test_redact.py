"""Passwords never reach the screen or a log: URLs, free text, config dumps and log records."""

from __future__ import annotations

import io
import logging

import pytest

from ivr.config import Config
from ivr.redact import MASK, RedactingFilter, redact_config, redact_text, redact_url


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
    ("postgresql://user:secret@host:5432/db?sslmode=require",
     "postgresql://user:***@host:5432/db?sslmode=require"),
    # An unencoded "@" or ":" inside the password is masked with the rest of it.
    ("postgresql://user:se@c:ret@host/db", "postgresql://user:***@host/db"),
    ("redis://:secret@host", "redis://:***@host"),
    ("postgresql://host/db?user=u&password=secret&x=1",
     "postgresql://host/db?user=u&password=***&x=1"),
    ("postgresql://host/db?PASSWORD=secret", "postgresql://host/db?PASSWORD=***"),
    # Nothing to hide: the URL is shown as it is.
    ("sqlite:///ivr-data/calls.sqlite3", "sqlite:///ivr-data/calls.sqlite3"),
    ("postgresql://user@host/db", "postgresql://user@host/db"),
    ("http://host:8080/a@b", "http://host:8080/a@b"),
])
def test_a_url_loses_its_password_and_nothing_else(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_url_inside_free_text_is_redacted() -> None:
    line = ("IVR_STORE_URL=postgresql://ivr:secret@db1/calls failed; "
            "retrying postgresql://ivr:other-secret@db2/calls")
    cleaned = redact_text(line)
    assert "secret" not in cleaned
    assert cleaned.count(MASK) == 2
    assert "db1/calls" in cleaned
    assert "db2/calls" in cleaned


def test_a_config_dump_masks_the_ami_secret_and_the_store_password() -> None:
    config = Config.model_validate({
        "store": {"url": "postgresql://ivr:secret@db/calls"},
        "ami": {"secret": "ami-secret", "username": "ivr"}})
    dump = redact_config(config.model_dump(mode="json"))
    assert "secret" not in repr(dump).replace("'secret': '***'", "")
    assert dump["ami"] == {**dump["ami"], "secret": MASK, "username": "ivr"}
    assert dump["store"]["url"] == "postgresql://ivr:***@db/calls"


def test_the_log_filter_masks_urls_passed_as_arguments() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("tests.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("cannot open %s (%d tries)", "postgresql://u:secret@h/db", 3)
    finally:
        log.removeHandler(handler)
    assert out.getvalue() == "cannot open postgresql://u:***@h/db (3 tries)\n"
