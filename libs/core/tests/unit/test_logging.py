"""What a process's JSON log lines carry when an exception is logged."""

from __future__ import annotations

import logging

import orjson
import pytest
import structlog

from spyglass_core.logging import configure_logging, get_logger
from spyglass_core.settings import LogSettings


def fail_with_a_secret_in_scope() -> None:
    database_url = "postgresql://spyglass:hunter2@db:5432/spyglass"
    raise ConnectionError(f"could not reach {database_url.rpartition('@')[2]}")


def test_logged_exceptions_are_structured_and_carry_no_local_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings(level="INFO", format="json"), "test-service")
    try:
        try:
            fail_with_a_secret_in_scope()
        except ConnectionError:
            get_logger("test").exception("write_failed", attempt=3)
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    event = orjson.loads(line)
    assert event["event"] == "write_failed"
    assert event["service"] == "test-service"
    (error,) = event["exception"]
    assert error["exc_type"] == "ConnectionError"
    assert error["exc_value"] == "could not reach db:5432/spyglass"
    assert error["frames"][-1]["name"] == "fail_with_a_secret_in_scope"
    assert "hunter2" not in line
    assert "locals" not in error["frames"][-1]
