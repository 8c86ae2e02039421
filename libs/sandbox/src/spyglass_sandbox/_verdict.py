"""Turn what a child left behind (its result envelope, how it exited) into an outcome.

The envelope is untrusted: user code can write anything to the result pipe. It is parsed with
a size cap already applied, checked field by field, and can only describe its own evaluation.
How the child exited comes from the fork server (the kernel's word) and takes precedence: a
child killed for its CPU limit has failed whatever it wrote before.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Mapping
from typing import Any

from spyglass_sandbox.errors import SandboxSetupError, SandboxUnavailableError
from spyglass_sandbox.limits import Limits
from spyglass_sandbox.outcome import FailureKind, SandboxFailure, SandboxOutcome

TEXT_LIMIT = 32 * 1024
"""Cap on any text taken from an envelope (the child cuts printed text at 16 KiB itself)."""


def outcome_of(
    envelope: bytes,
    overflowed: bool,
    finished: Mapping[str, Any],
    limits: Limits,
    duration_seconds: float,
) -> SandboxOutcome:
    """The outcome of one evaluation.

    Raises:
        SandboxUnavailableError: the server could not start the child, or it died before it was
            confined (it ran no user code).
        SandboxSetupError: the child says it could not be confined (and it ran no user code).
    """
    if finished.get("error"):
        raise SandboxUnavailableError(str(finished["error"]))
    cpu_seconds = float(finished.get("cpu_seconds") or 0.0)
    parsed = _parse(envelope)
    if not finished.get("confined") and not finished.get("timed_out"):
        if parsed is not None and parsed.get("status") == "sandbox_error":
            raise SandboxSetupError(
                f"a sandbox child could not be confined: {_text(parsed.get('message'))}"
            )
        raise SandboxUnavailableError(
            f"a sandbox child ended before it was confined ({_ending(finished)})"
        )

    def outcome(value: Any, failure: SandboxFailure | None, printed: str = "") -> SandboxOutcome:
        return SandboxOutcome(value, failure, duration_seconds, cpu_seconds, printed)

    ended = _how_it_ended(finished, overflowed, cpu_seconds, limits)
    if ended is not None:
        return outcome(None, ended, _text(parsed.get("printed")) if parsed else "")
    if finished.get("exit_code") != 0 or parsed is None:
        return outcome(None, _no_result(finished, envelope))
    printed = _text(parsed.get("printed"))
    if parsed.get("status") == "ok" and "value" in parsed:
        return outcome(parsed["value"], None, printed)
    return outcome(None, _reported_failure(parsed, limits), printed)


def _how_it_ended(
    finished: Mapping[str, Any], overflowed: bool, cpu_seconds: float, limits: Limits
) -> SandboxFailure | None:
    """A failure the kernel or the server imposed, if any."""
    if finished.get("timed_out"):
        return SandboxFailure(FailureKind.TIMEOUT, f"timed out after {limits.wall_seconds:g} s")
    if overflowed:
        return SandboxFailure(
            FailureKind.OUTPUT_TOO_LARGE, f"output larger than {limits.output_bytes} bytes"
        )
    signal_number = finished.get("signal")
    if signal_number is None:
        return None
    cpu_limit = f"exceeded its CPU time limit of {limits.cpu_seconds:g} s"
    if signal_number == signal.SIGXCPU or (
        signal_number == signal.SIGKILL and cpu_seconds >= limits.cpu_rlimit
    ):
        return SandboxFailure(FailureKind.CPU_LIMIT, cpu_limit)
    if signal_number == signal.SIGXFSZ:
        return SandboxFailure(
            FailureKind.FILE_LIMIT, f"wrote a file larger than its limit of {limits.file_mb} MB"
        )
    return SandboxFailure(FailureKind.KILLED, f"was killed by signal {_signal_name(signal_number)}")


def _reported_failure(envelope: Mapping[str, Any], limits: Limits) -> SandboxFailure:
    """The failure the child itself reported."""
    kind = envelope.get("kind")
    message = _text(envelope.get("message"))
    line = _line(envelope.get("line"))
    traceback = _text(envelope.get("traceback")) or None
    if kind == "compile_error":
        column = _line(envelope.get("column"))
        where = (
            ""
            if line is None
            else f" (line {line})"
            if column is None
            else f" (line {line}, column {column})"
        )
        return SandboxFailure(
            FailureKind.COMPILE_ERROR, f"does not compile: {message}{where}", line
        )
    if kind == "no_entry":
        return SandboxFailure(FailureKind.NO_ENTRY, message)
    if kind == "bad_arguments":
        return SandboxFailure(FailureKind.BAD_ARGUMENTS, message)
    if kind == "raised":
        type_name = _text(envelope.get("type"))[:200] or "an exception"
        reason = f"raised {type_name}: {message}" if message else f"raised {type_name}"
        reason += "" if line is None else f" (line {line})"
        return SandboxFailure(FailureKind.RAISED, reason, line, traceback)
    if kind == "not_json":
        return SandboxFailure(FailureKind.NOT_JSON, f"returned a value that is not JSON: {message}")
    if kind == "output_too_large":
        return SandboxFailure(
            FailureKind.OUTPUT_TOO_LARGE, f"output larger than {limits.output_bytes} bytes"
        )
    if kind == "memory_limit":
        return SandboxFailure(
            FailureKind.MEMORY_LIMIT, f"exceeded its memory limit of {limits.memory_mb} MB"
        )
    return SandboxFailure(FailureKind.NO_RESULT, "sent a result the sandbox does not understand")


def _no_result(finished: Mapping[str, Any], envelope: bytes) -> SandboxFailure:
    exit_code = finished.get("exit_code")
    if envelope:
        reason = "sent a result the sandbox does not understand"
    elif exit_code == 0:
        reason = "ended without returning a result"
    else:
        reason = f"exited with status {exit_code} without returning a result"
    return SandboxFailure(FailureKind.NO_RESULT, reason)


def _ending(finished: Mapping[str, Any]) -> str:
    if finished.get("signal") is not None:
        return f"signal {_signal_name(finished['signal'])}"
    return f"status {finished.get('exit_code')}"


def _parse(envelope: bytes) -> dict[str, Any] | None:
    if not envelope:
        return None
    try:
        parsed = json.loads(envelope)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) and isinstance(parsed.get("status"), str) else None


def _text(value: Any) -> str:
    return value[:TEXT_LIMIT] if isinstance(value, str) else ""


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _signal_name(number: Any) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
