"""The AGI channel API and the FastAGI listener, over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from ivr.agi import channel as channel_module
from ivr.agi.channel import AgiChannel
from ivr.agi.errors import AgiCommandError, ChannelHungUp, PromptNotPlayed
from ivr.agi.protocol import HangupSide, LocalProtocolError
from ivr.agi.server import AgiServer
from tests.agi.helpers import FakeAsterisk

Results = dict[str, object]


@pytest.fixture
async def run() -> AsyncIterator[
    Callable[[Callable[[AgiChannel, Results], Awaitable[None]]], Awaitable[tuple[int, Results]]]
]:
    servers: list[AgiServer] = []
    results: Results = {}

    async def start(
        body: Callable[[AgiChannel, Results], Awaitable[None]],
    ) -> tuple[int, Results]:
        async def handler(channel: AgiChannel) -> None:
            try:
                await body(channel, results)
            except BaseException as exc:
                results["raised"] = type(exc).__name__
                raise
            finally:
                results["done"] = True

        server = AgiServer(handler, port=0)
        await server.start()
        servers.append(server)
        return server.port, results

    yield start
    for server in servers:
        await server.close(grace_s=1)
        assert server.active == 0


async def _until_done(results: Results) -> None:
    for _ in range(1000):
        if "done" in results:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("handler did not finish")


async def test_request_reaches_handler_and_commands_round_trip(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        out["script"] = ch.request.script
        out["args"] = ch.request.args
        await ch.answer()
        out["play"] = await ch.stream_file("/r/prompts/abc", "123#")
        out["data"] = await ch.get_data("beep", 3000, 4)
        out["digit"] = await ch.wait_for_digit(2000)
        out["nodigit"] = await ch.wait_for_digit(10)
        out["var"] = await ch.get_variable("CALLERID_NUM")
        out["unset"] = await ch.get_variable("NOPE")
        out["rec"] = await ch.record_file("/r/vm/x", silence_s=3)

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port, "sales", arg_1="vip")
    await peer.expect("ANSWER")
    await peer.expect("STREAM", "FILE", "/r/prompts/abc", "123#", reply="200 result=50 endpos=800")
    await peer.expect("GET", "DATA", "beep", "3000", "4", reply="200 result=12 (timeout)")
    await peer.expect("WAIT", "FOR", "DIGIT", "2000", reply="200 result=35")
    await peer.expect("WAIT", "FOR", "DIGIT", reply="200 result=0")
    await peer.expect(
        "GET", "FULL", "VARIABLE", "${BASE64_ENCODE(${CALLERID_NUM})}",
        reply="200 result=1 (MDIgKHgp)",  # "02 (x)"
    )
    await peer.expect("GET", "FULL", "VARIABLE", reply="200 result=0")
    got = await peer.expect("RECORD", "FILE", reply="200 result=35 (dtmf) endpos=4000")
    assert got[2:] == ["/r/vm/x", "wav", "#", "120000", "BEEP", "s=3"]
    assert await peer.closed_by_server()
    await _until_done(out)
    assert out["script"] == "sales"
    assert out["args"] == ("vip",)
    assert str(out["play"]) == "Playback(digit='2', endpos=800)"
    assert str(out["data"]) == "DigitsEntered(digits='12', timed_out=True)"
    assert out["digit"] == "#"
    assert out["nodigit"] is None
    assert out["var"] == "02 (x)"
    assert out["unset"] is None
    assert str(out["rec"]) == "Recording(reason='dtmf', endpos=4000, digit='#')"
    assert "raised" not in out
    await peer.close()


async def test_a_prompt_that_fails_on_a_live_channel_is_not_a_hang_up(run: object) -> None:
    # res_agi says -1 for a file it cannot open, as for a hang-up; CHANNEL STATUS tells them apart.
    async def body(ch: AgiChannel, out: Results) -> None:
        try:
            await ch.stream_file("/no/such/prompt", "12")
        except PromptNotPlayed as exc:
            out["error"] = str(exc)
        out["hung_up"] = ch.hung_up

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    assert (await peer.command())[:2] == ["STREAM", "FILE"]
    await peer.reply("200 result=-1 endpos=0")
    assert await peer.command() == ["CHANNEL", "STATUS"]
    await peer.reply("200 result=6")
    await _until_done(out)
    assert out["hung_up"] is False
    assert "/no/such/prompt" in str(out["error"])
    await peer.close()


@pytest.mark.parametrize(
    "replies",
    [
        ["200 result=-1 endpos=0", "HANGUP"],
        ["HANGUP", "200 result=-1 endpos=0"],
        ["511 Command Not Permitted on a dead channel or intercept routine"],
        [],  # Asterisk just closes the socket: it vanished (crashed, killed)
    ],
)
async def test_hangup_in_any_form_ends_the_session(run: object, replies: list[str]) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        try:
            await ch.stream_file("x", "")
        except ChannelHungUp:
            out["hung_up"] = ch.hung_up
            raise

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    assert (await peer.command())[:2] == ["STREAM", "FILE"]
    for line in replies:
        await peer.reply(line)
    if not replies:
        await peer.close()
    # A -1 read before the HANGUP line is asked about; Asterisk answers a dead channel so.
    while replies and (command := await peer.command()):
        assert command == ["CHANNEL", "STATUS"], command
        await peer.reply("511 Command Not Permitted on a dead channel or intercept routine")
    await _until_done(out)
    assert out["hung_up"] is True
    # A ChannelHungUp either way; its PeerVanished kind when no hang-up came first.
    assert out["raised"] == ("ChannelHungUp" if replies else "PeerVanished")
    if replies:
        assert await peer.closed_by_server()
        await peer.close()


@pytest.mark.parametrize(
    ("answer", "side"),
    [
        ("200 result=1 (23)", HangupSide.CALLER),
        ("200 result=1 (0)", HangupSide.ASTERISK),
        ("511 Command Not Permitted on a dead channel or intercept routine", HangupSide.UNKNOWN),
        (None, HangupSide.UNKNOWN),  # the connection closes instead
        ("", HangupSide.UNKNOWN),  # no answer at all: the short deadline, not 120 s
    ],
)
async def test_hangup_side_asks_once_after_the_hangup_and_never_raises(
    run: object, answer: str | None, side: HangupSide, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel_module, "HANGUP_SIDE_TIMEOUT_S", 0.2)

    async def body(ch: AgiChannel, out: Results) -> None:
        try:
            await ch.stream_file("x", "")
        except ChannelHungUp:
            out["side"] = await ch.hangup_side()

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    assert (await peer.command())[:2] == ["STREAM", "FILE"]
    await peer.reply("200 result=-1 endpos=0\nHANGUP")
    question = await peer.command()
    assert question == ["GET", "FULL", "VARIABLE", "${LEN(${CHANNEL(hangupsource)})}"]
    if answer is None:
        await peer.close()
    elif answer:
        await peer.reply(answer)
    await _until_done(out)
    assert out["side"] is side
    if answer is not None:
        await peer.close()


async def test_multiline_520_and_510_raise_command_errors(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        try:
            await ch.command("STREAM FILE")
        except AgiCommandError as exc:
            out["520"] = exc.reply.usage
        try:
            await ch.command("FOO")
        except AgiCommandError as exc:
            out["510"] = exc.reply.code
        try:
            await ch.exec_app("NoSuchApp", "x")
        except AgiCommandError as exc:
            out["-2"] = exc.reply.result

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    await peer.command()
    await peer.reply("520-Invalid command syntax.  Proper usage follows:")
    await peer.reply(" Usage: x\n520 End of proper usage.")
    await peer.expect("FOO", reply="510 Invalid or unknown command")
    await peer.expect("EXEC", "NoSuchApp", "x", reply="200 result=-2")
    await _until_done(out)
    assert "Usage: x" in str(out["520"])
    assert out["510"] == 510
    assert out["-2"] == "-2"
    await peer.close()


async def test_wait_hangup_notices_hangup_line(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        await ch.wait_hangup()
        out["hung_up"] = ch.hung_up

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    await asyncio.sleep(0.05)
    assert "done" not in out
    await peer.reply("HANGUP")
    await _until_done(out)
    assert out["hung_up"] is True
    assert await peer.closed_by_server()
    await peer.close()


async def test_hostile_values_never_leave_one_line(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        await ch.set_variable("IVR_X", 'a "b" \\ c')
        await ch.set_variable("IVR_Y", "line1\nHANGUP")
        for bad in (lambda: ch.set_variable("IVR X", "v"), lambda: ch.stream_file("f", "1\n")):
            try:
                await bad()
            except LocalProtocolError:
                out["refused"] = int(str(out.get("refused", 0))) + 1

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    await peer.expect("SET", "VARIABLE", "IVR_X", 'a "b" \\ c', reply="200 result=1")
    got = await peer.command()
    assert got == ["GOSUB", "ivr-setvar", "s", "1", "IVR_Y,bGluZTEKSEFOR1VQ"]
    await peer.reply("100 result=0 Trying...\n200 result=0 Gosub complete")
    assert await peer.closed_by_server()
    await _until_done(out)
    assert out["refused"] == 2
    await peer.close()


async def test_peer_closing_during_header_and_garbage_are_dropped(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        out["called"] = True

    port, out = await run(body)  # type: ignore[operator]
    for data in (b"agi_network: yes\n", b"GET / HTTP/1.0\r\n\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await writer.wait_closed()
    assert "called" not in out


async def test_close_cancels_stuck_calls() -> None:
    started = asyncio.Event()

    async def handler(ch: AgiChannel) -> None:
        started.set()
        await ch.wait_hangup()

    server = AgiServer(handler, port=0)
    await server.start()
    peer = await FakeAsterisk.connect(server.port)
    await started.wait()
    assert server.active == 1
    await server.close(grace_s=0.05)
    assert server.active == 0
    assert await peer.closed_by_server()
    await peer.close()


async def test_set_variables_packs_plain_values_and_sends_the_rest_alone(run: object) -> None:
    async def body(ch: AgiChannel, out: Results) -> None:
        await ch.set_variables({"IVR_OUTCOME": "queue", "IVR_NOTE": "two words",
                                "IVR_PATH": "menu,support", "IVR_Y": "line1\nHANGUP"})
        try:
            await ch.set_variables({"IVR_A": "1", "IVR B": "2"})
        except LocalProtocolError:
            out["refused"] = 1

    port, out = await run(body)  # type: ignore[operator]
    peer = await FakeAsterisk.connect(port)
    await peer.expect("SET", "VARIABLE", "ARRAY(IVR_OUTCOME,IVR_PATH)", 'queue,"menu,support"',
                      reply="200 result=1")
    await peer.expect("SET", "VARIABLE", "IVR_NOTE", "two words", reply="200 result=1")
    assert (await peer.command())[:2] == ["GOSUB", "ivr-setvar"]
    await peer.reply("100 result=0 Trying...\n200 result=0 Gosub complete")
    # A bad name refuses the whole set before anything is sent.
    assert await peer.closed_by_server()
    await _until_done(out)
    assert out["refused"] == 1
    await peer.close()
