"""An open-source IVR service: YAML flows, a pure flow engine, FastAGI for Asterisk.

The package reads as the architecture: ``ivr.flows`` (language + pure engine),
``ivr.interpreter`` (the engine's effects carried out, for every transport),
``ivr.agi`` / ``ivr.ami`` / ``ivr.speech`` (protocol adapters), ``ivr.simulate`` (the
simulator's transport), ``ivr.calls`` (call records and their store), ``ivr.serve`` (the
service wired together), ``ivr.web`` (supervisor dashboard), ``ivr.cli`` (the ``ivr``
console script).
"""

__version__ = "0.1.0"
