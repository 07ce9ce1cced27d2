"""The demo self-service backend answers like a real billing API."""

from __future__ import annotations

import aiohttp

from ivr.demo import backend
from ivr.ports import free_tcp_port


async def test_balance_answers_known_account_and_rejects_wrong_pin() -> None:
    port = free_tcp_port()
    runner = await backend.start(port=port)
    url = f"http://127.0.0.1:{port}/api/balance"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"account": "123456", "pin": "4321"}) as r:
                assert await r.json() == {
                    "status": "ok", "amount": "42.50", "due_date": "December 15"
                }
            async with http.post(url, json={"account": "123456", "pin": "0000"}) as r:
                assert await r.json() == {"status": "not_found"}
            async with http.post(url, data=b"not json") as r:
                assert r.status == 400
    finally:
        await runner.cleanup()
