"""What one sandboxed evaluation produced: a JSON value, or a failure with a reason to show."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FailureKind(StrEnum):
    """Why an evaluation failed. Every kind is the user's code's doing, never the platform's."""

    COMPILE_ERROR = "compile_error"
    """The code is not valid Python."""
    NO_ENTRY = "no_entry"
    """The code defines no callable with the entry function's name."""
    BAD_ARGUMENTS = "bad_arguments"
    """The entry function needs a parameter that no argument fills."""
    RAISED = "raised"
    """The code raised an exception (at import or in the entry function)."""
    NOT_JSON = "not_json"
    """The entry function returned something JSON cannot carry."""
    OUTPUT_TOO_LARGE = "output_too_large"
    """The result was larger than ``Limits.output_bytes``."""
    CPU_LIMIT = "cpu_limit"
    """The code used more CPU time than ``Limits.cpu_seconds``."""
    MEMORY_LIMIT = "memory_limit"
    """The code asked for more memory than ``Limits.memory_mb``."""
    FILE_LIMIT = "file_limit"
    """The code wrote a file larger than ``Limits.file_mb``."""
    TIMEOUT = "timeout"
    """The code ran longer than ``Limits.wall_seconds`` (sleeping or blocked counts)."""
    KILLED = "killed"
    """The process was killed by a signal (a crash, for instance)."""
    NO_RESULT = "no_result"
    """The process ended without sending a result (``os._exit`` from user code, say)."""


@dataclass(frozen=True, slots=True)
class SandboxFailure:
    """A failed evaluation: ``reason`` is one sentence fit to show the evaluator's author."""

    kind: FailureKind
    reason: str
    line: int | None = None
    """The line of the user's code the failure points at, when there is one."""
    traceback: str | None = None
    """The user's frames only, for the "test evaluator" view; never platform frames."""


@dataclass(frozen=True, slots=True)
class SandboxOutcome:
    """The result of ``Sandbox.run``: ``value`` when ``ok``, else ``failure``.

    ``duration_seconds`` is wall time from the request to the child's exit, as the caller saw it;
    ``cpu_seconds`` is the child's user plus system time. ``printed`` is what the code wrote to
    standard output and error, cut at 16 KiB.
    """

    value: Any
    failure: SandboxFailure | None
    duration_seconds: float
    cpu_seconds: float
    printed: str = ""

    @property
    def ok(self) -> bool:
        """Whether the entry function returned a JSON value."""
        return self.failure is None

    @property
    def reason(self) -> str | None:
        """The failure's reason, or None when the evaluation succeeded."""
        return None if self.failure is None else self.failure.reason
