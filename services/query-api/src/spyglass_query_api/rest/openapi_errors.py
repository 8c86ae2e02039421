"""The error answers of the OpenAPI document, as the REST API gives them (``errors.py``).

litestar documents every operation with a JSON 400 it never sends. Our errors leave as
Phoenix's do: ``text/plain`` with the reason, or 422 with FastAPI's ``{"detail": [...]}`` (or
plain text, for the 422s Phoenix words that way). :func:`served_openapi_document` replaces
litestar's guess with what any operation may answer, so clients and the schema fuzzing test
hold us to it.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

_TEXT = {"text/plain": {"schema": {"type": "string"}}}

VALIDATION_ERROR_SCHEMAS: dict[str, Any] = {
    "ValidationError": {
        "properties": {
            "loc": {"items": {"type": ["string", "integer"]}, "type": "array"},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
        "type": "object",
    },
    "HTTPValidationError": {
        "properties": {
            "detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array"}
        },
        "type": "object",
    },
}

_UNPROCESSABLE = {
    "description": "A parameter or body field the endpoint can't use (named in `loc`)",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}},
        **_TEXT,
    },
}

ERROR_SCHEMA_EXTENSION = "x-spyglass-error-schema"
"""An operation whose errors are JSON of its own (OpenAI's, for chat completions) names their
schema (a component) under this key; its errors are documented as that schema, besides the
text/plain of the edge's own refusals (the browser guard's), and its own descriptions stay."""

_EVERY_OPERATION: dict[str, str] = {
    "400": "A malformed request, or a host the server does not answer to",
    "404": "Nothing has the identifier given",
    "503": "The database (or the span bus) can't be reached now; retry later",
}
_WRITES: dict[str, str] = {
    "403": "Refused: another site's page, or a row that can't be changed",
    "409": "Conflicts with what is stored (a name taken)",
    "413": "The request is larger than the server takes",
    "415": "A content type a browser may send from another site; send application/json",
    "429": "At capacity; retry after the `Retry-After` header's seconds",
}
_WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
_PROBES = frozenset({"/healthz", "/readyz"})


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _TEXT}


def _document_probes(paths: dict[str, Any]) -> None:
    """``/healthz`` answers plain text; ``/readyz`` its checks, as 503 while one fails."""
    alive = paths.get("/healthz", {}).get("get", {}).get("responses", {}).get("200")
    if alive is not None:
        alive["content"] = _TEXT
    ready = paths.get("/readyz", {}).get("get", {}).get("responses", {})
    if "200" in ready:
        ready["503"] = {**ready["200"], "description": "A dependency is not ready (named)"}


def _document_own_errors(responses: dict[str, Any], errors: dict[str, str], schema: str) -> None:
    """Errors of an operation that answers them as JSON of ``schema`` (the extension's value)."""
    own = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    for status, description in {**errors, "422": _UNPROCESSABLE["description"]}.items():
        declared = responses.get(status, {}).get("description")
        content = own if status == "422" else {**own, **_TEXT}
        responses[status] = {"description": declared or description, "content": content}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the error answers of every operation (probes excepted) documented."""
    _document_probes(document.get("paths", {}))
    for path, operations in document.get("paths", {}).items():
        if path in _PROBES:
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            errors = dict(_EVERY_OPERATION)
            if method in _WRITE_METHODS:
                errors.update(_WRITES)
            own_schema = operation.pop(ERROR_SCHEMA_EXTENSION, None)
            if own_schema is not None:
                _document_own_errors(responses, errors, own_schema)
                continue
            for status, description in errors.items():
                responses[status] = _error(description)
            responses["422"] = _UNPROCESSABLE
    document.setdefault("components", {}).setdefault("schemas", {}).update(VALIDATION_ERROR_SCHEMAS)
    return document


def served_openapi_document(app: Litestar) -> dict[str, Any]:
    """The app's OpenAPI document as ``/openapi.json`` serves it and ``make contracts`` exports."""
    return document_errors(app.openapi_schema.to_schema())
