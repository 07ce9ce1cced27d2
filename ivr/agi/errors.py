"""What a FastAGI channel raises: the call is gone, or Asterisk refused or could not play.

A caller's hang-up, a dead channel and a closed socket are all :class:`ChannelHungUp`, so a
session needs one ``except`` for the end of a call; what Asterisk refused
(:class:`AgiCommandError`) is not the end of the call.
"""

from __future__ import annotations

from ivr.agi.protocol import Reply


class ChannelHungUp(Exception):
    """The caller hung up or Asterisk closed the connection."""


class PeerVanished(ChannelHungUp):
    """The connection ended with no sign of a hang-up before it: Asterisk went away.

    No ``HANGUP`` line, ``511`` or ``result=-1`` came first, so it was not the caller:
    Asterisk crashed or was killed with the call.
    """


class ReplyTimeout(ChannelHungUp):
    """Asterisk never answered a command: the session ends as if the caller had hung up."""


class AgiCommandError(Exception):
    """Asterisk refused a command (``510`` unknown command, ``520`` bad usage)."""

    def __init__(self, reply: Reply, command: bytes) -> None:
        super().__init__(f"{reply.code} for {command[:60]!r}: {reply.usage.splitlines()[:1]}")
        self.reply = reply


class PromptNotPlayed(AgiCommandError):
    """Asterisk answered a prompt with ``-1`` while the channel stayed up: it could not play it.

    res_agi answers ``result=-1 endpos=0`` both when the caller hangs up and when the file
    cannot be opened where Asterisk looks (missing, unreadable, no translator for its
    format). Taken for a hang-up, every call of a site whose Asterisk does not see
    ``recordings_dir`` at the same path was recorded as cut off, with nothing in the log.
    """

    def __init__(self, reply: Reply, command: bytes) -> None:
        Exception.__init__(self, f"Asterisk could not play {command[:200]!r} (result -1 on a "
                                 "live channel): is the file at that path on the Asterisk host?")
        self.reply = reply
