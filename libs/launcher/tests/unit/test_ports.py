import socket

import pytest

from spyglass_launcher import ports
from spyglass_launcher.ports import PORT_RANGE, free_port


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    handed = [free_port() for _ in range(50)]

    assert len(set(handed)) == len(handed)
    low = min(PORT_RANGE[1], ports._ephemeral_low())
    assert all(PORT_RANGE[0] <= port < low for port in handed)
    for port in handed[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = free_port()
    offered = iter([taken, taken + 1])
    monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(offered))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", taken))
        busy.listen()
        ports._handed_out.discard(taken)

        assert free_port() == taken + 1
