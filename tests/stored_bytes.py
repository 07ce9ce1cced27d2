"""Searching stored files for a secret, without the timestamps that can hold it by chance."""

from __future__ import annotations

import re

#: The store's timestamps, as SQLite keeps them (text). Their microseconds can hold a short
#: PIN's digits by chance ("13:52:04.034321" failed a full run looking for "4321").
TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2})?")


def without_timestamps(data: bytes) -> bytes:
    """*data* with every timestamp taken out, and nothing else."""
    return TIMESTAMP.sub(b"", data)
