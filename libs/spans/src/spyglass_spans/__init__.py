"""Decoding and normalizing OTLP spans (OpenInference conventions) for the span bus."""

from spyglass_spans.attributes import decode_attributes, flatten, normalize
from spyglass_spans.decode import (
    DEFAULT_PROJECT,
    PROJECT_ATTRIBUTE,
    DecodeLimits,
    DecodeResult,
    decode_export_request,
    decode_span,
    new_batch_id,
)
from spyglass_spans.prices import Cost, ModelPrice, ModelPriceTable
from spyglass_spans.rejections import (
    REJECTION_REASONS,
    InvalidSpanError,
    project_name_problem,
    storable_json,
)
from spyglass_spans.span import (
    SPAN_KINDS,
    STATUS_CODES,
    normalize_attributes,
    normalized_span,
)
from spyglass_spans.unflatten import unflatten

__all__ = [
    "DEFAULT_PROJECT",
    "PROJECT_ATTRIBUTE",
    "REJECTION_REASONS",
    "SPAN_KINDS",
    "STATUS_CODES",
    "Cost",
    "DecodeLimits",
    "DecodeResult",
    "InvalidSpanError",
    "ModelPrice",
    "ModelPriceTable",
    "decode_attributes",
    "decode_export_request",
    "decode_span",
    "flatten",
    "new_batch_id",
    "normalize",
    "normalize_attributes",
    "normalized_span",
    "project_name_problem",
    "storable_json",
    "unflatten",
]
