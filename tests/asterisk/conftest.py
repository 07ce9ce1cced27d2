"""The sandbox fixtures, for the tests in this package (tests/conftest.py may register them too)."""

from tests.asterisk.fixtures import ami_observer, asterisk

__all__ = ["ami_observer", "asterisk"]
