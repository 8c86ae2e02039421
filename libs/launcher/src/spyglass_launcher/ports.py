"""Free ports and addresses."""

from __future__ import annotations

import random
import socket

from spyglass_core.errors import ConfigurationError

_handed_out: set[int] = set()
"""Ports this process was given already: the OS may offer a port again once its probe socket
is closed, and two servers started side by side must not both be handed it."""


PORT_RANGE = (20000, 32768)
"""Where :func:`free_port` looks: below the ephemeral ports (Linux: 32768 and up, macOS and
Windows: 49152 and up). A port the OS picks from the ephemeral range can be taken, before its
server binds it, as the local port of some outgoing connection (a client of PostgreSQL, say),
and the server then fails to start; a port below that range is never handed out that way."""


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            return int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        return PORT_RANGE[1]


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now, outside the ephemeral range (:data:`PORT_RANGE`), never
    one handed out before; one the OS picks if that range has none free."""
    low, high = PORT_RANGE[0], min(PORT_RANGE[1], _ephemeral_low())
    for _ in range(200):
        port = random.randrange(low, high) if high > low else 0  # noqa: S311 (not a secret)
        if port == 0:
            break
        if port not in _handed_out and _bindable(host, port):
            _handed_out.add(port)
            return port
    while True:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
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
