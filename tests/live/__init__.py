"""Tests of ivr.live."""
