"""Free loopback ports for test and bench stacks.

A port the kernel hands out for bind(0) comes from the ephemeral range, the same range
outgoing connections draw from, so between picking it and a server binding it another
connection can take it (CI once lost a run that way). Ports below that range are only
ever taken by a bind, and none is handed out twice by one process.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_given: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    high = _ephemeral_low() - 1
    low = min(10000, high - 1000)
    for _ in range(1000):
        port = random.randint(low, high)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError("no free loopback port below the ephemeral range")
