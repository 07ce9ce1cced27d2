"""The rules behind ``ivr validate``, grouped by what they look at."""
