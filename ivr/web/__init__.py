"""The supervisor dashboard: aiohttp with server-rendered templates, over the call store."""
