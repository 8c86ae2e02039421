"""What can go wrong with an evaluation, and who should act on it.

=========================  =============================================  ==================
error                      when                                           caller
=========================  =============================================  ==================
``EvaluatorConfigError``   an evaluator's definition is refused when it   answer 422 (an
                           is saved: a bad regex (with its position), an  ``InvalidArgument
                           unknown variable, a duplicate choice           Error``)
``EvaluationError``        one evaluation gives no result: an input is    record the reason;
                           missing or unusable, user code returned        retrying will not
                           something that is not a result                 help
``JudgeAnswerError``       an LLM judge answered outside its choices or   record it; a retry
                           not at all                                     may get a usable
                                                                          answer
=========================  =============================================  ==================

Messages are safe to show a user and never quote more than a short piece of a value (an
evaluator's input may be megabytes; an integer may have thousands of digits).
"""

from __future__ import annotations

from typing import Any

from spyglass_core.errors import InvalidArgumentError, SpyglassError

SHOWN_CHARACTERS = 60
"""The most characters of a value an error message quotes."""


class EvaluationError(SpyglassError):
    """An evaluation produced no usable result; the message says why."""


class JudgeAnswerError(EvaluationError):
    """An LLM judge's answer names none of its choices (or several); asking again may work."""

    retryable = True


class EvaluatorConfigError(InvalidArgumentError):
    """An evaluator's configuration is refused (answer 422).

    ``field`` is the dotted path of the refused field (``pattern``, ``choices``), or None for
    the configuration as a whole; ``position`` is the character where a pattern or template
    goes wrong, when known.
    """

    def __init__(self, message: str, field: str | None = None, position: int | None = None):
        super().__init__(message)
        self.field = field
        self.position = position


def shown(value: Any) -> str:
    """A short, safe rendering of ``value`` for an error message."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        # repr() of an integer past 4,300 digits raises ValueError; say how big it is instead.
        if value.bit_length() > 64:
            return f"an integer of {value.bit_length()} bits"
        return repr(value)
    if isinstance(value, str):
        if len(value) > SHOWN_CHARACTERS:
            return repr(value[:SHOWN_CHARACTERS]) + f"… ({len(value):,} characters)"
        return repr(value)
    return f"a {type(value).__name__}"


def type_name(value: Any) -> str:
    """The JSON-ish name of ``value``'s type, for messages (``list``, ``dict``, ``datetime``)."""
    return "None" if value is None else type(value).__name__
