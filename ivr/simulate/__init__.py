"""Trying flows without a phone: the terminal/scripted adapter for the pure engine."""
