"""The flow language (``model``, ``loader``, ``validate``) and its pure engine (``engine``).

Everything in this package is sans-I/O: no sockets, no Asterisk, no clock.
Adapters (FastAGI, the terminal simulator, tests) feed :mod:`ivr.flows.events`
into :class:`ivr.flows.engine.Call` and carry out the :mod:`ivr.flows.effects`
it returns.
"""
