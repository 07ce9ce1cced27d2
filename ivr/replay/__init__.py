"""Replaying stored calls against a changed flow: which calls would now end differently.

:mod:`ivr.replay.inputs` rebuilds what each caller did from the call's timeline,
:mod:`ivr.replay.drive` feeds it through the same engine live calls use, at the
call's original time, and :mod:`ivr.replay.report` sums the results up.
"""
