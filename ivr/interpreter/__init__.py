"""The call interpreter: one engine call carried out over a transport, the same for every transport.

:class:`~ivr.interpreter.session.CallSession` runs the engine's effects (prompts,
questions, lookups, recordings, queue checks, the hand-off) and writes the journey to
the store; a :class:`~ivr.interpreter.transport.Transport` is what the caller is on:
a FastAGI channel (:mod:`ivr.interpreter.agi_transport`, with AudioSocket speech turns)
or the simulator's scripted phone (:mod:`ivr.simulate.transport`). Lookups
(:mod:`ivr.interpreter.lookup`) and key entry (:mod:`ivr.flows.keys`) are one code path.
"""
