"""Trying flows without a phone: the simulator is a transport of the call interpreter.

A scripted or typed caller (:mod:`ivr.simulate.phone`) answers the live interpreter's
effects through :mod:`ivr.simulate.transport`; :mod:`ivr.simulate.driver` runs a call.
"""
