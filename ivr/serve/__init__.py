"""The service behind ``ivr serve``: the FastAGI listener, flows with hot reload, AMI, the store.

Each call it accepts runs in the call interpreter (:mod:`ivr.interpreter`) over a FastAGI
transport; this package wires the parts together and owns their start-up and shut-down.
"""
