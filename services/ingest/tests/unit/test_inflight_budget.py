"""The receiver's in-flight memory budget: bounded together, never below one request alone."""

from __future__ import annotations

import pytest

from spyglass_core.errors import OverloadedError
from spyglass_ingest.receiver.export import MEMORY_PER_REQUEST_BYTE, InflightBudget

MIB = 1024 * 1024


def test_a_request_alone_is_admitted_whatever_it_grows_to() -> None:
    budget = InflightBudget(64 * MIB, retry_after_seconds=2)

    # A 20 MB body gzipped to 89 KB: budgeted small on the wire, large once decompressed.
    with budget.reserve(89_000) as reservation:
        reservation.grow(20 * MIB)
        assert budget.used_bytes == (89_000 + 20 * MIB) * MEMORY_PER_REQUEST_BYTE

    assert (budget.used_bytes, budget.requests) == (0, 0)


def test_others_in_flight_bound_what_a_request_may_take() -> None:
    budget = InflightBudget(64 * MIB, retry_after_seconds=3)

    with budget.reserve(10 * MIB):
        with pytest.raises(OverloadedError) as refused:
            budget.reserve(10 * MIB).__enter__()
        with budget.reserve(1 * MIB) as small, pytest.raises(OverloadedError):
            small.grow(20 * MIB)
        assert budget.used_bytes == 10 * MIB * MEMORY_PER_REQUEST_BYTE

    assert refused.value.retry_after_seconds == 3
    assert budget.used_bytes == 0


def test_the_first_request_is_admitted_even_past_the_budget() -> None:
    budget = InflightBudget(64 * MIB, retry_after_seconds=1)

    with budget.reserve(32 * MIB), pytest.raises(OverloadedError):
        budget.reserve(1).__enter__()
