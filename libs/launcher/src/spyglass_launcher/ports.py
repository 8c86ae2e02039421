"""Free ports and addresses."""

from __future__ import annotations

import socket

from spyglass_core.errors import ConfigurationError

_handed_out: set[int] = set()
"""Ports this process was given already: the OS may offer a port again once its probe socket
is closed, and two servers started side by side must not both be handed it."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the OS picks it), never one handed out before."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def ensure_port_free(host: str, port: int, setting: str) -> None:
    """Fail with a message naming ``setting`` if ``host:port`` can't be bound now.

    Raises:
        ConfigurationError: the port is in use or the address can't be bound.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise ConfigurationError(
                f"port {port} on {host} is not available ({error.strerror or error}); "
                f"stop what uses it or set {setting} to another port"
            ) from None
