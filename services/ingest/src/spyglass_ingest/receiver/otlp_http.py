"""OTLP/HTTP: ``POST /v1/traces`` with protobuf or JSON bodies, gzip or deflate encoded.

Responses follow the OTLP/HTTP specification: success is an ``ExportTraceServiceResponse`` (with
``partial_success`` when some spans were refused) in the request's own format; a failure is a
``google.rpc.Status`` carrying the reason, with ``Retry-After`` on the statuses exporters retry
and ``WWW-Authenticate`` on a 401 (auth on, and no valid API key: see ``receiver/auth.py``).
"""

from __future__ import annotations

import binascii
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from spyglass_auth import Principal
from spyglass_core.errors import (
    InvalidArgumentError,
    PayloadTooLargeError,
    SpyglassError,
)
from spyglass_core.logging import get_logger
from spyglass_ingest.receiver import metrics
from spyglass_ingest.receiver.auth import IngestGuard
from spyglass_ingest.receiver.export import ExportService, project_override
from spyglass_ingest.receiver.refusals import ReceiverFaultError, UnsupportedMediaError, refusal

log = get_logger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
PROJECT_HEADER = "x-project-name"
CHALLENGE = 'Bearer realm="Spyglass"'

_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def otlp_http_routes(
    exporter: ExportService, max_request_bytes: int, guard: IngestGuard | None = None
) -> list[HTTPRouteHandler]:
    """The ``POST /v1/traces`` handler, bound to ``exporter``; ``guard`` checks the API key of
    each request (None: auth is off)."""

    @post("/v1/traces", include_in_schema=False)
    async def export_traces(request: Request[Any, Any, Any]) -> Response[bytes]:
        content_type = _media_type(request.headers.get("content-type", ""))
        as_json = content_type == JSON
        principal: Principal | None = None
        try:
            if guard is not None:  # before anything else, the body above all
                principal = await guard.admit(request.headers)
            if content_type not in (PROTOBUF, JSON):
                raise UnsupportedMediaError(
                    f"unsupported content type {content_type or '(none)'!r}; "
                    f"send {PROTOBUF} or {JSON}"
                )
            project = project_override(
                request.headers.get(PROJECT_HEADER), f"`{PROJECT_HEADER}` header"
            )
            # Budget the bytes on the wire before reading them, then what they decompressed to.
            declared = _content_length(request.headers.get("content-length"), max_request_bytes)
            with exporter.budget.reserve(declared) as reservation:
                body = await _read_body(
                    request.stream(), request.headers.get("content-encoding", ""), max_request_bytes
                )
                reservation.grow(len(body) - declared)
                metrics.REQUEST_BYTES.observe(len(body))
                export_request = _parse_json(body) if as_json else _parse_protobuf(body)
                del body
                outcome = await exporter.export(export_request, project, "http", principal)
        except SpyglassError as error:
            return _error_response(error, as_json)
        except Exception as error:  # answered 500 and logged with its exception
            return _error_response(ReceiverFaultError(error), as_json)
        return _message_response(outcome.response(), 200, as_json)

    return [export_traces]


def _content_length(header: str | None, limit: int) -> int:
    """The declared body size (the limit when undeclared, as with chunked bodies)."""
    try:
        declared = int(header) if header else limit
    except ValueError:
        raise InvalidArgumentError(f"invalid Content-Length {header!r}") from None
    if declared > limit:
        raise _too_large(limit)
    return max(declared, 0)


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


async def _read_body(chunks: AsyncIterator[bytes], encoding: str, limit: int) -> bytes:
    """The request body, decompressed, refused once it grows past ``limit`` bytes.

    Raises:
        UnsupportedMediaError: an encoding other than gzip, deflate or identity.
        InvalidArgumentError: the body is not valid gzip / deflate data.
        PayloadTooLargeError: the (decompressed) body is over ``limit``.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        decompressor = None
    elif encoding == "gzip":
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decompressor = zlib.decompressobj(zlib.MAX_WBITS)
    else:
        raise UnsupportedMediaError(
            f"unsupported content encoding {encoding!r}; send gzip, deflate or no encoding"
        )
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            if decompressor is not None:
                # max_length keeps a decompression bomb from growing past the limit in memory.
                chunk = decompressor.decompress(chunk, limit - size + 1)
                if decompressor.unconsumed_tail:
                    raise _too_large(limit)
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            parts.append(chunk)
        if decompressor is not None:
            tail = decompressor.flush()
            size += len(tail)
            if size > limit:
                raise _too_large(limit)
            parts.append(tail)
    except zlib.error as error:
        raise InvalidArgumentError(f"the body is not valid {encoding} data ({error})") from None
    return b"".join(parts)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the export request is larger than {limit} bytes (after decompression); "
        "send fewer spans per request"
    )


def _parse_protobuf(body: bytes) -> ExportTraceServiceRequest:
    try:
        return ExportTraceServiceRequest.FromString(body)
    except DecodeError as error:
        raise InvalidArgumentError(
            f"the body is not a valid protobuf ExportTraceServiceRequest ({error})"
        ) from None


def _parse_json(body: bytes) -> ExportTraceServiceRequest:
    """Parse OTLP/JSON, whose trace and span ids are hex strings (not protobuf's base64)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidArgumentError(f"the body is not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise InvalidArgumentError("the body must be a JSON object with resourceSpans")
    try:
        for resource_spans in document.get("resourceSpans") or []:
            for scope_spans in resource_spans.get("scopeSpans") or []:
                for span in scope_spans.get("spans") or []:
                    _hex_ids_to_base64(span)
                    for link in span.get("links") or []:
                        _hex_ids_to_base64(link)
        return json_format.ParseDict(
            document, ExportTraceServiceRequest(), ignore_unknown_fields=True
        )
    except (json_format.ParseError, AttributeError, TypeError, ValueError) as error:
        raise InvalidArgumentError(
            f"the body is not a valid OTLP/JSON ExportTraceServiceRequest ({error})"
        ) from None


def _hex_ids_to_base64(item: dict[str, Any]) -> None:
    for field in _ID_FIELDS:
        value = item.get(field)
        if isinstance(value, str) and value:
            try:
                item[field] = binascii.b2a_base64(bytes.fromhex(value), newline=False).decode()
            except ValueError:
                raise ValueError(f"{field} {value!r} is not hexadecimal") from None


def _error_response(error: SpyglassError, as_json: bool) -> Response[bytes]:
    answer = refusal(error, "http")
    status = status_pb2.Status(code=answer.grpc_code.value[0], message=error.message)
    response = _message_response(status, answer.http_status, as_json)
    if answer.retry_after_seconds is not None:
        response.headers["Retry-After"] = str(answer.retry_after_seconds)
    if answer.http_status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


def _message_response(message: Message, status: int, as_json: bool) -> Response[bytes]:
    if as_json:
        body = json_format.MessageToJson(message, indent=None).encode()
        return Response(body, status_code=status, media_type=JSON)
    return Response(message.SerializeToString(), status_code=status, media_type=PROTOBUF)
