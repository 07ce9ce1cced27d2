"""An open-source IVR service: YAML flows, a pure flow engine, FastAGI for Asterisk.

The package reads as the architecture: ``ivr.flows`` (language + pure engine),
``ivr.agi`` / ``ivr.ami`` / ``ivr.speech`` (protocol adapters), ``ivr.calls``
(call records and their store), ``ivr.web`` (supervisor dashboard), ``ivr.cli``
(the ``ivr`` console script).
"""

__version__ = "0.1.0"
