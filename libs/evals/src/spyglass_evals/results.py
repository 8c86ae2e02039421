"""What an evaluator gives: an :class:`EvaluationResult`, checked when made, so that every
result that exists can be stored as an annotation.

:func:`coerce_result` turns what an evaluator returns (user code in the sandbox, a Phoenix
client evaluator's return value) into a result, as Phoenix's client reads one:

=================================  ==============================================================
returned                           result
=================================  ==============================================================
``True`` / ``False``               score 1.0 / 0.0, label ``"True"`` / ``"False"``
a number                           score
text                               label
``(number, text)``                 score and explanation (Phoenix's documented pair)
``(score, label, explanation)``    each may be None (what Phoenix's client code also reads)
a dict                             keys ``score``, ``label``, ``explanation``, ``metadata`` only
an ``EvaluationResult``            itself
=================================  ==============================================================

:func:`coerce_results` also takes a list: one result per item (Phoenix names them
``name-1``, ``name-2``...; naming is the caller's).

Every value comes from outside and may be anything. The rules, each refusal an
:class:`~spyglass_evals.errors.EvaluationError` that names the field:

* **score**: a finite number within float range. NaN, infinities and integers past
  ``1.8e308`` are refused; ``2**63`` is fine (it is a float). Text is not a score.
* **label**: text, at most :data:`MAX_LABEL_LENGTH` characters, with no NUL. A label groups
  and filters annotations; one silently changed would not group with its peers, so a NUL is
  refused rather than replaced.
* **explanation**: text, at most :data:`MAX_EXPLANATION_LENGTH` characters; a NUL becomes
  U+FFFD (free text, as span data is treated).
* **metadata**: a JSON object (see :func:`~spyglass_evals.json_values.checked_metadata`):
  text keys, finite numbers, 64-bit integers, at most 100 levels and 64 KiB; NUL becomes U+FFFD.
* at least one of score, label and explanation: ``None`` or ``{}`` is not a result.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from typing import Any

from spyglass_core.storable import NUL, REPLACEMENT_CHARACTER
from spyglass_evals.errors import EvaluationError, shown, type_name
from spyglass_evals.json_values import checked_metadata

MAX_LABEL_LENGTH = 256
"""The most characters of a label (an annotation label names a category)."""

MAX_EXPLANATION_LENGTH = 10_000
"""The most characters of an explanation."""

MAX_RESULTS = 100
"""The most results one evaluator call may return as a list."""

RESULT_KEYS = ("score", "label", "explanation", "metadata")
"""The keys a result dict may have."""


class Direction(enum.StrEnum):
    """Which way a score is better (Phoenix's optimization direction)."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """A score, a label, an explanation and metadata: what an annotation stores.

    Checked when made (see the module docstring): constructing one with a NaN score, a
    non-text label or metadata that is not JSON raises
    :class:`~spyglass_evals.errors.EvaluationError`. ``score`` is always a float (or None);
    ``metadata`` is always a fresh dict.
    """

    score: float | None = None
    label: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", checked_score(self.score))
        object.__setattr__(self, "label", checked_label(self.label))
        object.__setattr__(self, "explanation", checked_explanation(self.explanation))
        object.__setattr__(self, "metadata", checked_metadata(self.metadata))
        if self.score is None and self.label is None and self.explanation is None:
            raise EvaluationError(
                "the result has no score, label or explanation: an evaluator must give at least one"
            )

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready fields (Phoenix's ``{score, label, explanation, metadata}``)."""
        return {
            "score": self.score,
            "label": self.label,
            "explanation": self.explanation,
            "metadata": self.metadata,
        }


def checked_score(value: Any, name: str = "score") -> float | None:
    """``value`` as a finite float (a bool is 1.0 or 0.0), or None.

    Raises:
        EvaluationError: not a number, not finite, or beyond float range.
    """
    if value is None or (type(value) is float and math.isfinite(value)):
        return value
    if isinstance(value, str) or not isinstance(value, Real | Decimal):
        raise EvaluationError(f"{name} must be a number, not {type_name(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise EvaluationError(
            f"{name} ({shown(value)}) is beyond the range of a float (about 1.8e308)"
        ) from None
    if not math.isfinite(number):
        raise EvaluationError(f"{name} must be a finite number, not {number}")
    return number


def checked_label(value: Any, name: str = "label") -> str | None:
    """``value`` as a label: text of at most :data:`MAX_LABEL_LENGTH` characters, no NUL."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvaluationError(f"{name} must be text, not {type_name(value)} {shown(value)}")
    if len(value) > MAX_LABEL_LENGTH:
        raise EvaluationError(
            f"{name} has {len(value):,} characters; at most {MAX_LABEL_LENGTH} are allowed"
        )
    if NUL in value:
        raise EvaluationError(f"{name} must not contain NUL characters")
    return value


def checked_explanation(value: Any, name: str = "explanation") -> str | None:
    """``value`` as an explanation: text of at most :data:`MAX_EXPLANATION_LENGTH`
    characters, NUL replaced by U+FFFD."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvaluationError(f"{name} must be text, not {type_name(value)}")
    if len(value) > MAX_EXPLANATION_LENGTH:
        raise EvaluationError(
            f"{name} has {len(value):,} characters; at most {MAX_EXPLANATION_LENGTH:,} are allowed"
        )
    return value.replace(NUL, REPLACEMENT_CHARACTER) if NUL in value else value


def coerce_result(value: Any) -> EvaluationResult:
    """What an evaluator returned, as a result (the table in the module docstring).

    Raises:
        EvaluationError: ``value`` is not one of the accepted shapes, or a field breaks a
            rule; the message says which and how to fix it.
    """
    if isinstance(value, EvaluationResult):
        return value
    if value is None:
        raise EvaluationError(
            "the evaluator returned None: return a score, a label, a (score, explanation) pair "
            "or a dict with score, label, explanation and metadata"
        )
    if isinstance(value, bool):
        return EvaluationResult(score=float(value), label=str(value))
    if isinstance(value, str):
        return EvaluationResult(label=value)
    if isinstance(value, Real | Decimal):
        return EvaluationResult(score=checked_score(value))
    if isinstance(value, tuple):
        return _from_tuple(value)
    if isinstance(value, Mapping):
        return _from_mapping(value)
    raise EvaluationError(
        f"the evaluator returned a value of type {type_name(value)}: return a number, a bool, "
        "a label (text), a (score, explanation) pair or a dict with score, label, explanation "
        "and metadata"
    )


def coerce_results(value: Any) -> list[EvaluationResult]:
    """What an evaluator returned, as one result per item of a list, or one result.

    Raises:
        EvaluationError: an empty list, more than :data:`MAX_RESULTS` items, or an item
            :func:`coerce_result` refuses (named by its index).
    """
    if not isinstance(value, list):
        return [coerce_result(value)]
    if not value:
        raise EvaluationError("the evaluator returned an empty list: no result to record")
    if len(value) > MAX_RESULTS:
        raise EvaluationError(
            f"the evaluator returned {len(value):,} results; at most {MAX_RESULTS} are kept"
        )
    results: list[EvaluationResult] = []
    for index, item in enumerate(value):
        try:
            results.append(coerce_result(item))
        except EvaluationError as error:
            raise EvaluationError(f"result [{index}]: {error.message}") from None
    return results


def _from_tuple(value: tuple[Any, ...]) -> EvaluationResult:
    if len(value) == 2:
        score, explanation = value
        if isinstance(score, str) or not isinstance(score, Real | Decimal):
            raise EvaluationError(
                f"a (score, explanation) pair starts with a number, not {type_name(score)}"
            )
        return EvaluationResult(
            score=checked_score(score), explanation=checked_explanation(explanation)
        )
    if len(value) == 3:
        score, label, explanation = value
        return EvaluationResult(score=score, label=label, explanation=explanation)
    raise EvaluationError(
        f"the evaluator returned a tuple of {len(value)} items: return (score, explanation) "
        "or (score, label, explanation)"
    )


def _from_mapping(value: Mapping[Any, Any]) -> EvaluationResult:
    unknown = [key for key in value if key not in RESULT_KEYS]
    if unknown:
        names = ", ".join(shown(key) for key in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise EvaluationError(
            f"unknown key(s) {names}{more} in the result: a result dict takes score, label, "
            "explanation and metadata only"
        )
    return EvaluationResult(
        score=value.get("score"),
        label=value.get("label"),
        explanation=value.get("explanation"),
        metadata=value.get("metadata"),  # type: ignore[arg-type]  # checked: None -> {}
    )
