"""Benchmarks for ``ivr bench <name>``: one module per subsystem with add_arguments/run."""
