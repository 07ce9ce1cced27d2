"""Callbacks the service really makes: durable requests, pure scheduling rules, a dispatcher.

A caller who accepts a queue's callback offer (or leaves a number at a ``callback``
node after hours) becomes a :class:`~ivr.callbacks.model.CallbackRequest` in the
call store. The dispatcher inside ``ivr serve`` claims due requests, dials them over
AMI ``Originate`` when the queue's calendar is open and an agent is free, and
hands the answered callee to the original queue with the original context.
"""
