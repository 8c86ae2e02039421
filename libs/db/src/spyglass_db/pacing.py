"""Pacing background deletes, so that they never take the CPU ingest needs.

A retention sweep or a maximum-age clean-up left to run flat out deletes a million spans in
about 20 s on a 2-core machine, and for those seconds takes a third of ingest's throughput
(``tests/bench/retention.py``). Each batch is cheap on its own; what hurts is batches back to
back. :class:`Pace` rests after each batch in proportion to the time the batch took, so the
work holds to ``duty_cycle`` of the time whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import time as clock
from dataclasses import dataclass


@dataclass(frozen=True)
class Pace:
    """Work ``duty_cycle`` of the time (0 < duty_cycle <= 1; 1: never rest)."""

    duty_cycle: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.duty_cycle <= 1:
            raise ValueError(f"duty_cycle must be in (0, 1], not {self.duty_cycle}")

    def rest_seconds(self, worked_seconds: float) -> float:
        """How long to rest after ``worked_seconds`` of work to hold the duty cycle."""
        return max(0.0, worked_seconds) * (1 - self.duty_cycle) / self.duty_cycle

    @staticmethod
    def started() -> float:
        """The moment a batch starts, for :meth:`rest_after`."""
        return clock.perf_counter()

    async def rest_after(self, started: float) -> None:
        """Rest in proportion to the work since ``started``."""
        if self.duty_cycle < 1:
            await asyncio.sleep(self.rest_seconds(clock.perf_counter() - started))


UNPACED = Pace()
"""Work flat out (tests, and callers that pace themselves)."""
