"""Decoding and normalizing OTLP spans (OpenInference conventions) for the span bus."""

from spyglass_spans.attributes import normalize, unflatten
from spyglass_spans.decode import (
    DEFAULT_PROJECT,
    DecodeLimits,
    DecodeResult,
    build_span,
    decode_export_request,
    normalized_span,
    rejection_reason,
)
from spyglass_spans.prices import Cost, ModelPrice, ModelPriceTable

__all__ = [
    "DEFAULT_PROJECT",
    "Cost",
    "DecodeLimits",
    "DecodeResult",
    "ModelPrice",
    "ModelPriceTable",
    "build_span",
    "decode_export_request",
    "normalize",
    "normalized_span",
    "rejection_reason",
    "unflatten",
]
