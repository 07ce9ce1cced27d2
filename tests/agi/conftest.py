"""The sandbox fixtures for this package (tests/conftest.py may register them globally too)."""

from tests.asterisk.fixtures import ami_observer, asterisk

__all__ = ["ami_observer", "asterisk"]
