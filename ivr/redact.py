"""Secrets out of everything printed or logged: passwords in URLs, secrets in config dumps.

Operators are told to put the database password in ``IVR_STORE_URL``
(``postgresql://user:secret@host/db``), so any line that shows the store URL
would show the password. Every command that prints or logs a URL passes it
through :func:`redact_url`; the log handlers of the long-running commands also
carry :class:`RedactingFilter`, which masks any ``scheme://user:password@``
found in a log line, so a library that logs a URL cannot leak it either.
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: What a secret is replaced with.
MASK = "***"
#: Query parameters and config fields whose values are secrets (libpq accepts
#: ``?password=``; ``[ami] secret``).
SECRET_NAMES = frozenset({"password", "passwd", "pass", "pwd", "secret", "sslpassword",
                          "token", "api_key", "apikey"})

# scheme://user:password@ — the password runs to the last "@" before the host part, so a
# password holding an unencoded "@" or ":" is masked whole.
_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#:@]*):(?P<password>[^\s/?#]*)@")
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:" + "|".join(sorted(SECRET_NAMES)) + r")=)(?P<value>[^&;#\s]*)",
    re.IGNORECASE)


def redact_url(url: str) -> str:
    """*url* with its password (userinfo or a secret query parameter) replaced by ``***``.

    ``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``.
    """
    return redact_text(url)


def redact_text(text: str) -> str:
    """Mask every URL password and secret query value inside free *text* (a log line)."""
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@" if m["password"] else m[0], text)
    return _QUERY_SECRET.sub(lambda m: f"{m['head']}{MASK}" if m["value"] else m[0], text)


def redact_config(data: Any) -> Any:
    """A config dump (``Config.model_dump()``) with secret fields masked and URLs redacted."""
    if isinstance(data, dict):
        return {key: (MASK if str(key).lower() in SECRET_NAMES and value else
                      redact_config(value)) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact_config(item) for item in data]
    if isinstance(data, str):
        return redact_text(data)
    return data


class RedactingFilter(logging.Filter):
    """Masks URL passwords in each record's final message (arguments already merged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message; never drops a record."""
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach :class:`RedactingFilter` to every handler of *logger* (default: the root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
