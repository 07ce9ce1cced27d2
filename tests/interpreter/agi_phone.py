"""Asterisk's side of a FastAGI call, driven by the simulator's input words (real sockets).

The differential tests give the same caller (``1``, ``123#``, ``timeout``) to ``ivr
simulate`` and to the live FastAGI service. This peer plays that caller on the FastAGI
side the way the real Asterisk would: keys pressed ahead stay buffered, ``STREAM FILE``
stops on the first buffered key it listens for (others are lost), ``WAIT FOR DIGIT``
takes buffered keys first and then the caller's next input, and a caller who has
nothing more to say hangs up when asked for input (after an entry in progress has timed
out, as the simulator does).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from ivr.agi.assign import read_packed
from ivr.agi.protocol import encode_request, split_like_asterisk
from ivr.interpreter.agi_transport import HOLD_SLICE_MAX_MS
from ivr.simulate.inputs import KEYS

#: ``RECORD FILE`` answers with five seconds of audio (the simulator's recording length).
RECORDED_ENDPOS = 40_000


class AgiPhone:
    """Replies to one FastAGI session's commands as a caller with *words* to say would."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words: deque[str] = deque(w.strip() for w in words)
        self.keys = ""
        #: Keys of the entry in progress were given (the next timeout ends it, not the call).
        self.entered = False
        #: The keys the last prompt listened for: the question's keys, as far as Asterisk knows.
        self.listens_for = ""
        self.variables: dict[str, str] = {}
        self.commands: list[list[str]] = []

    async def call(self, port: int, script: str, uniqueid: str) -> None:
        """Place the call on the service at *port* and answer until it hangs up."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(encode_request({
            "network": "yes", "network_script": script,
            "request": f"agi://127.0.0.1/{script}", "channel": "PJSIP/phone-00000001",
            "uniqueid": uniqueid, "callerid": "0212345678", "dnid": "1000",
        }))
        await writer.drain()
        try:
            while line := await asyncio.wait_for(reader.readline(), 10):
                command = split_like_asterisk(line.decode())
                self.commands.append(command)
                if self._holds(command):
                    await asyncio.sleep(int(command[3]) / 1000)
                    reply = "200 result=0"
                else:
                    reply = self.reply(command)
                writer.write(reply.encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    def _holds(self, command: list[str]) -> bool:
        """A ``WAIT FOR DIGIT`` that only keeps keys while a step or lookup runs, no question.

        The service sends these only when a write or lookup outlasts its grace, which
        depends on how busy the machine is; this caller answers questions, so it says nothing
        new in them (keys it already typed ahead still come back) and the slice runs out. The
        flows it calls ask their questions for seconds, never as briefly as a slice.
        """
        return (command[:3] == ["WAIT", "FOR", "DIGIT"] and len(command) > 3
                and command[3].isdigit() and int(command[3]) <= HOLD_SLICE_MAX_MS
                and not self.keys)

    def reply(self, command: list[str]) -> str:
        """The reply Asterisk would give this caller."""
        verb = " ".join(command[:2])
        if verb == "STREAM FILE":
            return self._prompt(command[3] if len(command) > 3 else "")
        if verb == "WAIT FOR":
            return self._wait_for_digit()
        if verb == "RECORD FILE":
            self.keys, self.entered = "", False
            return f"200 result=0 endpos={RECORDED_ENDPOS}"
        if verb == "SET VARIABLE":
            self.variables.update(read_packed(command[2], command[3]))
        return "200 result=1"

    def _prompt(self, escape: str) -> str:
        self.entered = False
        self.listens_for = escape
        while self.keys:
            key, self.keys = self.keys[0], self.keys[1:]
            if key in escape:
                self.entered = True
                return f"200 result={ord(key)} endpos=800"
        return "200 result=0 endpos=8000"

    def _wait_for_digit(self) -> str:
        if not self.keys:
            word = self.words.popleft() if self.words else None
            if word is None:
                if self.entered:
                    self.entered = False
                    return "200 result=0"  # the inter-digit timeout ends the entry
                return "200 result=-1"  # nothing more to say: the caller hangs up
            if word and all(c in KEYS for c in word):
                self.keys = word
            else:
                self.entered = False
                return "200 result=0"  # silence (words are not heard without speech)
        key, self.keys = self.keys[0], self.keys[1:]
        self.entered = self.entered or key in self.listens_for
        return f"200 result={ord(key)}"
