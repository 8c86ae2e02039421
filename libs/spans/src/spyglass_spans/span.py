"""The columns of a span that come from its attributes: kind, session, user, tokens, model, cost.

Shared by OTLP decoding (:mod:`spyglass_spans.decode`) and span uploads through the REST API,
which pass their parts to :func:`normalized_span`. As Phoenix does:

- ``span_kind`` is ``openinference.span.kind`` in upper case; missing or unknown is ``UNKNOWN``;
- ``session_id`` is ``session.id`` stripped (empty when absent or blank); ``user_id`` is
  ``user.id``;
- the token columns are set for LLM spans only (0 when the count is missing or no number);
  every span keeps its counts in its attributes;
- an LLM span with a model name gets a cost when the price table knows the model.

What PostgreSQL can't hold (:mod:`spyglass_core.storable`): NULs in text are replaced, a
``session.id`` over ``MAX_SESSION_ID_LENGTH`` characters or attributes nested deeper than
``MAX_JSON_DEPTH`` refuse the span (:class:`~spyglass_spans.rejections.InvalidSpanError`), and a
token count outside PostgreSQL's ``integer`` counts as absent for the columns (the attribute
keeps it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from spyglass_core.errors import InvalidArgumentError
from spyglass_core.storable import (
    MAX_INTEGER,
    MAX_SESSION_ID_LENGTH,
    json_depth_exceeds,
    without_nul,
)
from spyglass_proto.bus.v1.spans_pb2 import DecodedSpan, StatusCode
from spyglass_spans.attributes import (
    CACHE_READ_TOKENS,
    CACHE_WRITE_TOKENS,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    TOTAL_TOKENS,
    Attributes,
    flatten,
    normalize,
    token_count,
)
from spyglass_spans.prices import ModelPriceTable
from spyglass_spans.rejections import InvalidSpanError, storable_json, storable_json_noting_nul
from spyglass_spans.unflatten import unflatten, unflatten_noting_long_keys

SPAN_KINDS = frozenset(
    {
        "TOOL",
        "CHAIN",
        "LLM",
        "PROMPT",
        "RETRIEVER",
        "EMBEDDING",
        "AGENT",
        "RERANKER",
        "EVALUATOR",
        "GUARDRAIL",
        "UNKNOWN",
    }
)
"""The OpenInference span kinds; anything else is stored as ``UNKNOWN``."""

STATUS_CODES = {
    "UNSET": StatusCode.STATUS_CODE_UNSET,
    "OK": StatusCode.STATUS_CODE_OK,
    "ERROR": StatusCode.STATUS_CODE_ERROR,
}
"""Status names, as the REST API spells them, to the bus's status codes."""

NO_EVENTS = b"[]"

_TEXT_COLUMNS = ("session_id", "user_id", "model_name", "provider")
"""Columns copied from attribute text, which may hold NULs."""


def span_fields(
    attributes: Attributes, prices: ModelPriceTable, values_nest_freely: bool = False
) -> dict[str, Any]:
    """Normalize flat ``attributes`` in place; the ``DecodedSpan`` fields that follow from them.

    The fields are ``span_kind``, ``session_id``, ``user_id``, ``model_name``, ``provider``,
    ``attributes_json`` and, for LLM spans, the token counts and any cost.
    ``values_nest_freely`` says the values did not come as OTLP (whose nesting protobuf bounds),
    so the document's depth is always measured.

    Raises:
        InvalidSpanError: the ``session.id`` is too long or the attributes nest too deep (the
            message names no span: the caller knows it).
        TypeError: an attribute can't be JSON (only from values that did not come as OTLP).
    """
    normalize(attributes)
    kind = attributes.get("openinference.span.kind")
    if type(kind) is str:
        if kind not in SPAN_KINDS:
            kind = kind.strip().upper()
            if kind not in SPAN_KINDS:
                kind = "UNKNOWN"
    else:
        kind = "UNKNOWN"
    session_id = attributes.get("session.id")
    user_id = attributes.get("user.id")
    model_name = attributes.get("llm.model_name")
    provider = attributes.get("llm.provider") or attributes.get("llm.system")
    session = session_id.strip() if type(session_id) is str else ""
    if len(session) > MAX_SESSION_ID_LENGTH:
        raise InvalidSpanError("session_id_too_long")
    document, long_keys = unflatten_noting_long_keys(attributes)
    attributes_json, had_nul = storable_json_noting_nul(document, values_nest_freely or long_keys)
    fields: dict[str, Any] = {
        "span_kind": kind,
        "session_id": session,
        "user_id": "" if user_id is None else str(user_id),
        "model_name": "" if model_name is None else str(model_name),
        "provider": "" if provider is None else str(provider),
        "attributes_json": attributes_json,
    }
    if had_nul:  # the columns are copies of attribute text
        for column in _TEXT_COLUMNS:
            fields[column] = without_nul(fields[column])
    if kind == "LLM":
        _add_llm_fields(fields, attributes, prices)
    return fields


def _add_llm_fields(
    fields: dict[str, Any], attributes: Attributes, prices: ModelPriceTable
) -> None:
    prompt = _count(attributes.get(PROMPT_TOKENS))
    completion = _count(attributes.get(COMPLETION_TOKENS))
    total = attributes.get(TOTAL_TOKENS)
    fields["llm_token_count_prompt"] = prompt
    fields["llm_token_count_completion"] = completion
    fields["llm_token_count_total"] = (
        total
        if type(total) is int and -MAX_INTEGER - 1 <= total <= MAX_INTEGER
        else prompt + completion
    )
    model_name: str = fields["model_name"]
    if not model_name.strip():
        return
    cost = prices.cost(
        model_name,
        fields["provider"],
        prompt,
        completion,
        _count(attributes.get(CACHE_READ_TOKENS)),
        _count(attributes.get(CACHE_WRITE_TOKENS)),
    )
    if cost is not None:
        fields["cost_prompt_usd"] = cost.prompt
        fields["cost_completion_usd"] = cost.completion
        fields["cost_total_usd"] = cost.total


def _count(value: Any) -> int:
    """A token count for the columns: 0 when absent, no number, or outside ``integer``."""
    if type(value) is not int:
        value = token_count(value)
        if type(value) is not int:
            return 0
    return value if -MAX_INTEGER - 1 <= value <= MAX_INTEGER else 0


def events_json(
    events: Iterable[tuple[str, int, Mapping[str, Any]]], values_nest_freely: bool = False
) -> bytes:
    """Span events as the JSON list Phoenix stores: ``{name, timestamp, attributes}``.

    The timestamp is ISO-8601 in UTC; attributes stay flat (``exception.type``,
    ``exception.message``, ``exception.escaped``, ``exception.stacktrace`` for an exception).
    NULs are replaced. ``values_nest_freely``: as for :func:`span_fields` (event attributes
    sit three levels down; OTLP values under them can't reach ``MAX_JSON_DEPTH``).

    Raises:
        InvalidSpanError: attributes nest deeper than ``MAX_JSON_DEPTH`` levels in the list.
        TypeError: an attribute can't be JSON (only from values that did not come as OTLP).
    """
    return storable_json(
        [
            {"name": name, "timestamp": iso_time(time_unix_nano), "attributes": attributes}
            for name, time_unix_nano, attributes in events
        ],
        values_nest_freely,
    )


def iso_time(unix_nano: int) -> str:
    """``unix_nano`` as ISO-8601 in UTC, to the microsecond (truncated, never rounded up)."""
    seconds, nanoseconds = divmod(unix_nano, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=nanoseconds // 1000)
    return moment.isoformat()


def normalized_span(
    *,
    trace_id: str,
    span_id: str,
    parent_span_id: str,
    name: str,
    start_time_unix_nano: int,
    end_time_unix_nano: int,
    status_code: StatusCode,
    status_message: str,
    attributes: Mapping[str, Any],
    events: Iterable[tuple[str, int, Mapping[str, Any]]],
    prices: ModelPriceTable,
) -> DecodedSpan:
    """A ``DecodedSpan`` from parts that did not come as OTLP (the REST API's span upload).

    ``attributes`` may be flat (dotted keys) or nested, or a mix; they are normalized exactly as
    OTLP attributes are. The caller validates ids and times and puts a kind it was given as
    ``openinference.span.kind`` in ``attributes``.

    NULs in text are replaced, as in OTLP spans.

    Raises:
        InvalidSpanError: the span can't be stored (a ``session.id`` too long, attributes or
            events nested too deep); the message names the span.
        InvalidArgumentError: an attribute or event can't be stored as JSON (a number too large,
            a key that is not text).
    """
    if json_depth_exceeds(attributes):
        # Checked before flattening, which recurses.
        raise InvalidSpanError("attributes_too_deep", span_id)
    flat = flatten(attributes)
    try:
        fields = span_fields(flat, prices, values_nest_freely=True)
        events_document = events_json(events, values_nest_freely=True)
    except InvalidSpanError as error:
        raise error.of_span(span_id) from None
    except (TypeError, orjson.JSONEncodeError) as error:
        raise InvalidArgumentError(
            f"span {span_id}: attributes can't be stored ({error})"
        ) from None
    return DecodedSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=without_nul(name),
        start_time_unix_nano=start_time_unix_nano,
        end_time_unix_nano=end_time_unix_nano,
        status_code=status_code,
        status_message=without_nul(status_message),
        events_json=events_document,
        **fields,
    )


def normalize_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Flat or nested ``attributes`` normalized into the nested document that is stored."""
    flat = flatten(attributes)
    normalize(flat)
    return unflatten(flat)
