"""The flow language and its pure engine.

The engine (:mod:`ivr.flows.engine`, :mod:`ivr.flows.steps`, the key rule
:mod:`ivr.flows.keys`) is sans-I/O: no sockets, no Asterisk, no clock; the call
interpreter (:mod:`ivr.interpreter`) feeds it :mod:`ivr.flows.events` and carries out the
:mod:`ivr.flows.effects` it returns, over FastAGI or the simulator's phone. Around it,
the only I/O in this package: :mod:`ivr.flows.loader` reads ``flows.yaml`` and its
includes (parsing and :mod:`ivr.flows.validate`'s checks are pure), and
:mod:`ivr.flows.dot` runs Graphviz's ``dot`` to draw the pictures :mod:`ivr.flows.graph`
describes.
"""
