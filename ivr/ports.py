"""Free loopback ports, for the services the demo, the benches and the tests start.

A port is free when bound here and released; another process may take it before the
caller binds it, which is acceptable for these uses (nothing here serves callers).
"""

from __future__ import annotations

import socket


def _free(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    return _free(socket.SOCK_STREAM)


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 nobody has bound right now."""
    return _free(socket.SOCK_DGRAM)
