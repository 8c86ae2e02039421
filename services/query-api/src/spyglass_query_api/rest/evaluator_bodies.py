"""What the evaluator endpoints take: evaluators and their versions, a test before saving, and
evaluators attached to datasets.

Bodies are Spyglass's own (Phoenix has no evaluator REST), checked as the prompts' are: exact
JSON types (``"1"`` is not a version, ``null`` is not a value of a field that has none), and
unknown keys refused (a misspelt field would otherwise be silently dropped). What a definition
holds is ``spyglass_evals.parse_definition``'s to say; these models only see that it is an
object.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spyglass_core.storable import MAX_INTEGER
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.prompt_bodies import Identifier, Integer

MAX_TEXT_LENGTH = 10_000
"""The most characters of a description, a note or a pause's reason."""

RESERVED_NAMES = frozenset({"test"})
"""Evaluator names that ``/v1/evaluators/{name}`` can't reach: a fixed route has the path."""

EvaluatorKind: TypeAlias = Literal["BUILTIN", "LLM", "CODE"]
Text: TypeAlias = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
Version: TypeAlias = Annotated[Integer, Field(ge=1, le=MAX_INTEGER)]
"""An evaluator's version number (1 is the first)."""
Reference: TypeAlias = Name
"""An evaluator named in a body: its GlobalID or its name."""

_UNSET: Any = None
"""The default of an optional field whose type has no ``null``: omitted is fine, ``null`` is
refused (pydantic never validates a default)."""


class Body(BaseModel):
    """A request body: exact JSON types, finite numbers, no unknown keys."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")


# Evaluators -------------------------------------------------------------------------------------


class CreateEvaluatorRequestBody(Body):
    """A new evaluator and its version 1. ``definition`` is its kind's JSON (``kind`` may be
    left out of it: the evaluator's is taken)."""

    name: Identifier
    kind: EvaluatorKind
    description: Text | None = None
    definition: dict[str, Any]
    note: Text | None = None
    """What this version is (shown in the version list)."""

    @model_validator(mode="after")
    def _not_reserved(self) -> CreateEvaluatorRequestBody:
        if self.name in RESERVED_NAMES:
            raise ValueError(
                f"`name` {self.name!r} is reserved: /v1/evaluators/{self.name} is another endpoint"
            )
        return self


class CreateEvaluatorVersionRequestBody(Body):
    """The evaluator's next version (versions are never changed)."""

    definition: dict[str, Any]
    note: Text | None = None


class PatchEvaluatorRequestBody(Body):
    """The evaluator's description (``null`` clears it); its definition changes by a version."""

    description: Text | None = None


class TestEvaluatorRequestBody(Body):
    """An evaluation to try, whose result is answered and not stored.

    What to run: ``definition`` (with ``kind``, or ``kind`` inside it), or a saved
    ``evaluator`` (its GlobalID or name) at ``evaluator_version`` (default: its latest).
    What on: ``inputs`` by name; or a dataset example (``dataset_example_id``) or a stored span
    (``project`` and ``span_id``), read as the evaluation worker reads a run's example or a
    span, with ``inputs`` laid over it (a candidate ``output`` for an example, say), then
    ``input_mapping`` applied as a rule's or dataset evaluator's would be.
    """

    definition: dict[str, Any] = _UNSET
    kind: EvaluatorKind = _UNSET
    evaluator: Reference = _UNSET
    evaluator_version: Version = _UNSET
    inputs: dict[str, Any] = _UNSET
    input_mapping: dict[str, Any] = _UNSET
    dataset_example_id: Reference = _UNSET
    project: Reference = _UNSET
    span_id: Reference = _UNSET

    @model_validator(mode="after")
    def _one_of_each(self) -> TestEvaluatorRequestBody:
        if (self.definition is None) == (self.evaluator is None):
            raise ValueError("give either `definition` or `evaluator` (a saved one), not both")
        if self.evaluator_version is not None and self.evaluator is None:
            raise ValueError("`evaluator_version` needs `evaluator`")
        if (self.project is None) != (self.span_id is None):
            raise ValueError("a span is named by both `project` and `span_id`")
        if self.span_id is not None and self.dataset_example_id is not None:
            raise ValueError("give `dataset_example_id` or `project` and `span_id`, not both")
        if self.inputs is None and self.span_id is None and self.dataset_example_id is None:
            raise ValueError(
                "give what to evaluate: `inputs`, `dataset_example_id`, or `project` and `span_id`"
            )
        return self


# Dataset evaluators -----------------------------------------------------------------------------


class CreateDatasetEvaluatorRequestBody(Body):
    """An evaluator attached to a dataset: it scores every run of every experiment over it."""

    evaluator: Reference
    """The evaluator: its GlobalID or its name."""
    evaluator_version: Version | None = None
    """The version it runs; null: always the latest."""
    name: Name
    """The annotation name of its scores (unique in the dataset)."""
    input_mapping: dict[str, Any] = Field(default_factory=dict)
    """Evaluator input -> path into the run's material (``expected.answer``)."""
