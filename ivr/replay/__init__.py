"""Replaying stored calls against a changed flow: which calls would now end differently.

:mod:`ivr.replay.inputs` rebuilds what each caller did from the call's timeline;
:mod:`ivr.replay.drive` runs it through the interpreter and engine live calls use
(``CallSession``), answered by :mod:`ivr.replay.transport` and :mod:`ivr.replay.replies`
at the call's original time, and compares the endings; :mod:`ivr.replay.report` sums the
results up.
"""
