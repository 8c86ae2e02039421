"""Per-evaluation resource limits, enforced by the kernel in the child (rlimits) and by the fork
server's clock (wall time)."""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_MEMORY_MB = 64
"""A forked interpreter with the preloaded modules already maps about 40 MB of address space."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one evaluation may use before it is stopped and reported as over its limit.

    ``cpu_seconds`` is rounded up to a whole second for the kernel (``RLIMIT_CPU`` counts whole
    seconds); the reason shown names the value given here. ``memory_mb`` bounds the address space
    (``RLIMIT_AS``), which is a little more than the memory actually touched. ``output_bytes``
    bounds the JSON the entry function returns. ``file_mb`` bounds each file written in the
    scratch directory, ``open_files`` the descriptors open at once.
    """

    cpu_seconds: float = 2.0
    memory_mb: int = 256
    wall_seconds: float = 5.0
    output_bytes: int = 1_000_000
    file_mb: int = 16
    open_files: int = 32

    def __post_init__(self) -> None:
        _require(self.cpu_seconds > 0 and math.isfinite(self.cpu_seconds), "cpu_seconds", "> 0")
        _require(self.wall_seconds > 0 and math.isfinite(self.wall_seconds), "wall_seconds", "> 0")
        _require(
            self.memory_mb >= MIN_MEMORY_MB,
            "memory_mb",
            f">= {MIN_MEMORY_MB} (the interpreter alone maps about 40 MB)",
        )
        _require(self.output_bytes >= 1024, "output_bytes", ">= 1024")
        _require(self.file_mb >= 0, "file_mb", ">= 0")
        _require(self.open_files >= 8, "open_files", ">= 8 (the child holds 4 itself)")

    @property
    def cpu_rlimit(self) -> int:
        """The whole seconds handed to ``RLIMIT_CPU``."""
        return max(1, math.ceil(self.cpu_seconds))


def _require(condition: bool, field: str, rule: str) -> None:
    if not condition:
        raise ValueError(f"Limits.{field} must be {rule}")
