"""What the online evaluation rule endpoints take: a rule to create, a change to one, a dry run,
a pause.

Exact JSON types as everywhere (``"0.5"`` is not a sampling rate, ``NaN`` no number at all) and
unknown keys refused. A PATCH leaves out what it does not change; ``null`` clears only what may
be empty (the pinned evaluator version, the caps). The filter, the evaluator and the input
mapping are checked by the handlers, against the filter language, the stored evaluators and
``spyglass_evals``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field

from spyglass_query_api.rest.evaluator_bodies import MAX_TEXT_LENGTH, Body, Reference, Version
from spyglass_query_api.rest.fields import Name
from spyglass_query_api.rest.prompt_bodies import Integer, Number

MAX_WAIT_SECONDS = 7 * 24 * 3600
"""The longest delay or quiet period a rule may wait before scoring (a week)."""

Target: TypeAlias = Literal["SPAN", "TRACE", "SESSION"]
SamplingRate: TypeAlias = Annotated[Number, Field(ge=0, le=1)]
Seconds: TypeAlias = Annotated[Number, Field(ge=0, le=MAX_WAIT_SECONDS)]
TokenCap: TypeAlias = Annotated[Integer, Field(ge=0)]
CostCap: TypeAlias = Annotated[Number, Field(ge=0)]
Filter: TypeAlias = str
"""A span filter expression (the filter language's own limits apply); empty: every span."""

_UNSET: Any = None
"""The default of an optional field whose type has no ``null``: omitted is fine, ``null`` is
refused (pydantic never validates a default)."""


class CreateEvaluationRuleRequestBody(Body):
    """An online evaluation rule of a project."""

    name: Name
    annotation_name: Name = _UNSET
    """The name its scores are stored under (default: the rule's name)."""
    evaluator: Reference
    """The evaluator: its GlobalID or its name."""
    evaluator_version: Version | None = None
    """The version it runs; null: always the latest."""
    filter: Filter = ""
    target: Target
    """What is scored: each matching SPAN, its TRACE once quiet, or its SESSION once idle."""
    sampling_rate: SamplingRate
    """The share of traces (or sessions) scored, decided by their id: 0 to 1."""
    delay_seconds: Seconds = 0.0
    quiet_seconds: Seconds = 0.0
    """A trace or session is scored once no span of it arrived for this long."""
    input_mapping: dict[str, Any] = Field(default_factory=dict)
    max_tokens_per_day: TokenCap | None = None
    max_cost_per_day: CostCap | None = None


class PatchEvaluationRuleRequestBody(Body):
    """Changes to a rule; an omitted field is unchanged. Any change to what the rule does (all
    but its name and caps) makes a new version: jobs of the old one not yet run are dropped."""

    name: Name = _UNSET
    annotation_name: Name = _UNSET
    evaluator: Reference = _UNSET
    evaluator_version: Version | None = None
    filter: Filter = _UNSET
    target: Target = _UNSET
    sampling_rate: SamplingRate = _UNSET
    delay_seconds: Seconds = _UNSET
    quiet_seconds: Seconds = _UNSET
    input_mapping: dict[str, Any] = _UNSET
    max_tokens_per_day: TokenCap | None = None
    max_cost_per_day: CostCap | None = None


class DryRunRequestBody(Body):
    """A filter, target and rate to try on the project's spans of the last hour."""

    filter: Filter = ""
    target: Target = "SPAN"
    sampling_rate: SamplingRate = 1.0


class PauseRuleRequestBody(Body):
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)] = _UNSET
    """Why (shown with the rule); default: paused by a user."""
