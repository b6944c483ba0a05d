"""Loopback networking helpers for tests and benchmarks."""

import random
import socket


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 in [20000, 32767] (below Linux's ephemeral range)."""
    for _ in range(500):
        port = random.randint(20000, 32767)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found below 32768")
