"""The confined child's work: read the request, run the user's function, write one result.

Runs inside a forked child of the fork server, after :func:`~spyglass_sandbox._confine.confine`.
The request arrives only now, so nothing of it exists in the fork server's memory, which every
later child inherits. The result is one JSON envelope (see ``_verdict.py`` for the reader):

    {"status": "ok", "value": ..., "printed": "..."}
    {"status": "error", "kind": "<FailureKind>", "message": "...", "line": 3,
     "traceback": "...", "printed": "..."}
    {"status": "sandbox_error", "message": "..."}     (confinement failed; no user code ran;
                                                        believed only if the child never said
                                                        it was confined: see _fork_server.py)
"""

from __future__ import annotations

import builtins
import inspect
import io
import json
import linecache
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from spyglass_sandbox.check import EVALUATOR_FILENAME

REQUEST_FD = 0
RESULT_FD = 3
PRINTED_LIMIT = 16 * 1024
MESSAGE_LIMIT = 1000
TRACEBACK_LIMIT = 8 * 1024

MEMORY_ENVELOPE = b'{"status": "error", "kind": "memory_limit", "message": "MemoryError"}'
"""Written when even building the real envelope runs out of memory."""


class _StepFailedError(Exception):
    """Carries the error envelope of a failed step out of the runner's pipeline."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        super().__init__(envelope.get("message"))
        self.envelope = envelope


class CappedWriter(io.TextIOBase):
    """Stands in for stdout and stderr: keeps the first ``limit`` characters, drops the rest."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._parts: list[str] = []
        self._room = limit
        self._cut = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = text[: self._room]
        self._parts.append(kept)
        self._room -= len(kept)
        self._cut = self._cut or len(kept) < len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self._parts) + ("\n[output cut]" if self._cut else "")


def make_import_guard(allowed: frozenset[str]) -> Callable[..., Any]:
    """An ``__import__`` for user code that only hands out preloaded, allowed modules.

    Not a security boundary (user code can reach modules through object graphs): the kernel
    layers are. It turns ``import socket`` into a clear error instead of a confusing one.
    """
    real_import = builtins.__import__

    def guarded_import(
        name: str,
        globals: Mapping[str, object] | None = None,  # __import__'s own parameter names
        locals: Mapping[str, object] | None = None,
        fromlist: tuple[str, ...] | None = (),
        level: int = 0,
    ) -> Any:
        root = name.partition(".")[0]
        if level != 0 or (name not in allowed and root not in allowed):
            raise ImportError(
                f"import of {name!r} is not allowed in evaluators "
                f"(allowed: {', '.join(sorted(n for n in allowed if not n.startswith('_')))})",
                name=name,
            )
        if name not in sys.modules:
            raise ImportError(f"module {name!r} is not available in the sandbox", name=name)
        return real_import(name, globals, locals, fromlist or (), 0)

    return guarded_import


def read_request() -> dict[str, Any]:
    """Read the request the caller writes to the child's stdin, until end of file."""
    chunks = []
    while chunk := os.read(REQUEST_FD, 1 << 16):
        chunks.append(chunk)
    request = json.loads(b"".join(chunks))
    if not isinstance(request, dict):
        raise ValueError("the request is not a JSON object")
    return request


def write_result(data: bytes) -> None:
    """Write the whole envelope to the result pipe (the caller reads it concurrently)."""
    view = memoryview(data)
    while view:
        view = view[os.write(RESULT_FD, view) :]


def evaluate(request: Mapping[str, Any], allowed: frozenset[str]) -> bytes:
    """Run the request's code and return the envelope to send, already encoded."""
    printed = CappedWriter(PRINTED_LIMIT)
    sys.stdout = sys.stderr = printed
    sys.stdin = io.StringIO("")
    try:
        value = _call_user_code(request, allowed)
        return _encode_value(value, printed, int(request["output_bytes"]))
    except _StepFailedError as failure:
        return _encode({**failure.envelope, "printed": printed.getvalue()})
    except MemoryError:
        return MEMORY_ENVELOPE


WARM_UP_CODE = """
import json

def evaluate(output, expected=None, **rest):
    if output == "raise":
        raise ValueError(output)
    return {"score": float(output == expected), "seen": json.dumps(sorted(rest))}
"""


def warm_up(allowed: frozenset[str]) -> None:
    """Run two evaluations (a value, an exception) in the fork server before it forks anything.

    The first pass through compile, ``inspect.signature``, traceback formatting and the enum
    and regex caches they fill costs milliseconds; done here, every child inherits the filled
    caches instead of paying (and copying pages) again.
    """
    saved = sys.stdout, sys.stderr, sys.stdin
    try:
        for output in ("warm", "raise"):
            request = {"code": WARM_UP_CODE, "entry": "evaluate", "output_bytes": 1024}
            evaluate({**request, "arguments": {"output": output, "extra": 1}}, allowed)
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved


def _call_user_code(request: Mapping[str, Any], allowed: frozenset[str]) -> Any:
    code: str = request["code"]
    entry: str = request["entry"]
    arguments: dict[str, Any] = request["arguments"]
    linecache.cache[EVALUATOR_FILENAME] = (
        len(code),
        None,
        code.splitlines(True),
        EVALUATOR_FILENAME,
    )
    compiled = _compile(code)
    user_builtins = dict(vars(builtins), __import__=make_import_guard(allowed))
    namespace: dict[str, Any] = {"__name__": "evaluator", "__builtins__": user_builtins}
    _guarded(lambda: exec(compiled, namespace))  # noqa: S102 - running it is the point
    function = namespace.get(entry)
    if not callable(function):
        raise _StepFailedError(
            {
                "status": "error",
                "kind": "no_entry",
                "message": f"defines no function named {entry!r}",
            }
        )
    call_arguments = _guarded(lambda: _bind(function, entry, arguments))
    return _guarded(lambda: function(**call_arguments))


def _compile(code: str) -> CodeType:
    try:
        return compile(code, EVALUATOR_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise _StepFailedError(
            {
                "status": "error",
                "kind": "compile_error",
                "message": error.msg or "invalid syntax",
                "line": error.lineno,
                "column": error.offset,
            }
        ) from None
    except (ValueError, RecursionError) as error:
        raise _StepFailedError(
            {"status": "error", "kind": "compile_error", "message": _text(error)}
        ) from None


def _guarded(step: Callable[[], Any]) -> Any:
    """Run a step of user code; turn whatever it raises into an error envelope."""
    try:
        return step()
    except MemoryError:
        raise _StepFailedError(
            {"status": "error", "kind": "memory_limit", "message": "MemoryError"}
        ) from None
    except _StepFailedError:
        raise
    except BaseException as error:  # SystemExit and KeyboardInterrupt are user code's too
        raise _StepFailedError(_raised_envelope(error)) from None


def _raised_envelope(error: BaseException) -> dict[str, Any]:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == EVALUATOR_FILENAME
    ]
    message = _text(error)
    lines = [
        "Traceback (most recent call last):\n",
        *traceback.StackSummary.from_list(frames).format(),
    ]
    lines.append(
        f"{type(error).__qualname__}: {message}\n" if message else f"{type(error).__qualname__}\n"
    )
    return {
        "status": "error",
        "kind": "raised",
        "type": type(error).__qualname__,
        "message": message,
        "line": frames[-1].lineno if frames else None,
        "traceback": "".join(lines)[-TRACEBACK_LIMIT:],
    }


def _text(error: BaseException) -> str:
    """``str(error)``, cut short; user exceptions may have a ``__str__`` that fails."""
    try:
        return str(error)[:MESSAGE_LIMIT]
    except BaseException:  # any failure of user code here just means "no message"
        return "<the exception's message could not be formatted>"


def _bind(function: Callable[..., Any], entry: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Match arguments to parameters by name: each named parameter takes its argument, ``**kw``
    takes the rest; arguments the function does not name are left out."""
    try:
        parameters = inspect.signature(function).parameters
    except Exception:  # no signature to read (a builtin, a strange callable)
        return dict(arguments)
    bound: dict[str, Any] = {}
    takes_rest = False
    for name, parameter in parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_rest = True
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        elif name in arguments:
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                message = f"{entry}() takes {name!r} positionally only; make it a normal parameter"
                raise _StepFailedError(_bad_arguments(message, arguments))
            bound[name] = arguments[name]
        elif parameter.default is inspect.Parameter.empty:
            raise _StepFailedError(
                _bad_arguments(f"{entry}() needs an argument {name!r} that is not given", arguments)
            )
    if takes_rest:
        bound.update({name: value for name, value in arguments.items() if name not in bound})
    return bound


def _bad_arguments(message: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    given = ", ".join(sorted(arguments)) or "none"
    return {
        "status": "error",
        "kind": "bad_arguments",
        "message": f"{message} (arguments: {given})",
    }


def _encode_value(value: Any, printed: CappedWriter, output_bytes: int) -> bytes:
    try:
        value_json = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        return _encode(
            {
                "status": "error",
                "kind": "not_json",
                "message": _text(error),
                "printed": printed.getvalue(),
            }
        )
    except BaseException as error:  # a user object's __iter__ or __float__ that raises anything
        return _encode({**_raised_envelope(error), "printed": printed.getvalue()})
    size = len(value_json)
    if size > output_bytes:
        return _encode(
            {
                "status": "error",
                "kind": "output_too_large",
                "message": f"{size} bytes",
                "printed": printed.getvalue(),
            }
        )
    head = _encode({"status": "ok", "printed": printed.getvalue()})
    return head[:-1] + b', "value": ' + value_json.encode("ascii") + b"}"


def _encode(envelope: Mapping[str, Any]) -> bytes:
    """ASCII JSON: lone surrogates in user strings become escapes, never invalid UTF-8."""
    return json.dumps(envelope).encode("ascii")


def sandbox_error(message: str) -> bytes:
    """The envelope of a child that could not be confined (or read its request)."""
    return _encode({"status": "sandbox_error", "message": message[:MESSAGE_LIMIT]})
