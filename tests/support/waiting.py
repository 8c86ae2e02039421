"""Waiting for something to become true, never with a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def assert_eventually(
    check: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.1,
    message: Callable[[], str] | None = None,
) -> T:
    """Call ``check`` until it returns without raising, and return its result.

    Raises:
        AssertionError: ``check`` still failed after ``timeout`` seconds; carries its last error.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except Exception as error:  # AssertionError, or a connection refused while starting
            if time.monotonic() >= deadline:
                detail = f"\n{message()}" if message else ""
                raise AssertionError(f"not true after {timeout}s: {error!r}{detail}") from error
            time.sleep(interval)
