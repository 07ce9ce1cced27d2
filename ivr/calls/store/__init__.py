"""Persistence of call records: SQLite (embedded default) and PostgreSQL (shared by instances)."""
