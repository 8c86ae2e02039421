"""The REST edge's first check: values PostgreSQL can't hold are refused before any handler runs.

Every REST route passes through :func:`input_guard`'s hook (the span upload's body excepted: it
makes its span data safe itself), so an endpoint added later gets the same rules without a line
of its own. Each refusal is a 422 in FastAPI's ``{"detail": [...]}`` shape whose ``loc`` and
message name the parameter or body field:

* a NUL character in a path or query parameter, or in any string (or object key) of a JSON
  body: "`name` must not contain NUL characters" (:mod:`spyglass_core.storable`);
* a query parameter declared ``float`` that is not finite (``nan``, ``inf``), one declared
  ``int`` outside PostgreSQL's ``bigint``, or a ``datetime`` whose instant in UTC is outside
  years 1 to 9999;
* in a JSON body, a number that is not finite or an integer outside 64 bits (the JSON library
  that stores bodies can't write it), and objects and arrays nested deeper than
  :data:`~spyglass_core.storable.MAX_JSON_DEPTH`.

Field-specific rules (name lengths, a column's ``integer`` range) stay on the request models.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException
from litestar.handlers import HTTPRouteHandler
from litestar.types import BeforeRequestHookHandler
from litestar.typing import FieldDefinition

from spyglass_core.storable import (
    MAX_BIGINT,
    MAX_JSON_DEPTH,
    MIN_BIGINT,
    has_nul,
    json_path_keys,
    walk_json,
)
from spyglass_query_api.rest.encoded_slash import restore_slashes
from spyglass_query_api.rest.errors import UnprocessableParameterError

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _nul_message(name: str) -> str:
    return f"`{name}` must not contain NUL characters"


def _value_kind(field: FieldDefinition) -> type | None:
    """``float``, ``int`` or ``datetime`` if the parameter is declared as one (or None)."""
    candidates = [field, *(field.inner_types or ())] if field.is_optional else [field]
    for candidate in candidates:
        annotation = candidate.annotation
        if annotation in (float, int, datetime):
            return annotation  # type: ignore[no-any-return]
    return None


def _check_time(name: str, value: str) -> None:
    """A time whose instant in UTC falls outside years 1 to 9999 (``0001-01-01T00:00+05:00``)
    can't be compared with stored times."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return  # not a time at all: the parameter's own validation says so
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise UnprocessableParameterError(
            name, f"`{name}` must be between years 1 and 9999 in UTC, got {value!r}"
        ) from None


def _check_value(name: str, value: str, kind: type) -> None:
    if kind is datetime:
        _check_time(name, value)
        return
    if kind is float:
        try:
            number = float(value)
        except ValueError:
            return  # not a number at all: the parameter's own validation says so
        if not math.isfinite(number):
            raise UnprocessableParameterError(
                name, f"`{name}` must be a finite number, got {value!r}"
            )
        return
    try:
        integer = int(value)
    except ValueError:
        return
    if not MIN_BIGINT <= integer <= MAX_BIGINT:
        raise UnprocessableParameterError(
            name, f"`{name}` must be an integer between {MIN_BIGINT} and {MAX_BIGINT}"
        )


def _check_parameters(request: Request[Any, Any, Any]) -> None:
    restore_slashes(request.scope)  # type: ignore[arg-type]
    for name, value in request.path_params.items():
        if isinstance(value, str) and has_nul(value):
            raise UnprocessableParameterError(name, _nul_message(name), location="path")
    declared = request.route_handler.parsed_fn_signature.parameters
    kinds: dict[str, type] = {}
    for name, field in declared.items():
        kind = _value_kind(field)
        if kind is not None:
            query_name = getattr(field.kwarg_definition, "query", None) or name
            kinds[query_name] = kind
    for name, value in request.query_params.multi_items():
        if has_nul(name) or has_nul(value):
            shown = name.replace("\x00", "\\x00")
            raise UnprocessableParameterError(shown, _nul_message(shown))
        if name in kinds:
            _check_value(name, value, kinds[name])


def _out_of_bigint(item: Any) -> bool:
    return (
        isinstance(item, int)
        and not isinstance(item, bool)
        and not MIN_BIGINT <= item <= MAX_BIGINT
    )


def _body_error(path: tuple[str, ...], message: str) -> UnprocessableParameterError:
    return UnprocessableParameterError(".".join(path), message, location="body")


def check_json_body(body: Any) -> None:
    """Refuse a parsed JSON body holding a value PostgreSQL (or our JSON writer) can't take.

    Raises:
        UnprocessableParameterError: the first such value, naming its field.
    """
    for where, item, depth in walk_json(body):
        if isinstance(item, dict | list) and depth >= MAX_JSON_DEPTH:
            field = json_path_keys(where)[:3]
            raise _body_error(
                field,
                f"`{'.'.join(field) or 'body'}` must not nest objects and arrays deeper than "
                f"{MAX_JSON_DEPTH} levels",
            )
        if isinstance(item, dict):
            for key in item:
                if isinstance(key, str) and has_nul(key):
                    path = json_path_keys(where)
                    shown = key.replace("\x00", "\\x00")
                    raise _body_error(
                        (*path, shown), f"`{_name(path)}` must not hold a key with NUL characters"
                    )
        elif isinstance(item, str) and has_nul(item):
            path = json_path_keys(where)
            raise _body_error(path, _nul_message(_name(path)))
        elif isinstance(item, float) and not math.isfinite(item):
            path = json_path_keys(where)
            raise _body_error(path, f"`{_name(path)}` must be a finite number")
        elif _out_of_bigint(item):
            path = json_path_keys(where)
            raise _body_error(
                path, f"`{_name(path)}` must be an integer between {MIN_BIGINT} and {MAX_BIGINT}"
            )


def _name(path: tuple[str, ...]) -> str:
    return ".".join(path) or "body"


async def _parsed_body(request: Request[Any, Any, Any]) -> Any:
    """The JSON body (parsed once: handlers reuse it), or None when there is none to check.

    Raises:
        UnprocessableParameterError: the body nests too deeply for the JSON parser.
    """
    # litestar reads a JSON body whatever content type it came with; so does the guard
    if request.method not in _BODY_METHODS or request.content_type[0] in _FORM_TYPES:
        return None
    try:
        return await request.json()
    except RecursionError:
        raise _body_error(
            (), f"`body` must not nest objects and arrays deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except SerializationException:
        return None  # malformed JSON: the handler's body validation answers it


def input_guard(bodies_made_safe: Iterable[HTTPRouteHandler] = ()) -> BeforeRequestHookHandler:
    """The ``before_request`` hook that refuses unstorable input, before the handler runs.

    Args:
        bodies_made_safe: handlers whose JSON body is not walked (their parameters are still
            checked): they make what they store safe themselves, as the span upload does.
    """
    exempt = frozenset(handler.fn for handler in bodies_made_safe)

    async def refuse_unstorable_input(request: Request[Any, Any, Any]) -> None:
        """Refuse a parameter or body value PostgreSQL can't hold (422 naming it)."""
        _check_parameters(request)
        body = await _parsed_body(request)
        if body is not None and request.route_handler.fn not in exempt:
            check_json_body(body)

    return refuse_unstorable_input
