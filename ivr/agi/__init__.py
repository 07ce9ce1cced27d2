"""FastAGI and nothing else: the wire protocol (pure), the per-call channel API, the listener.

It imports no other ivr package (tests/architecture/test_imports.py); what a call does
with its channel is the interpreter's business (:mod:`ivr.interpreter`).
"""
