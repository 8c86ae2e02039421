"""Checking the arguments of the dataset fields and mutations, each refusal naming its argument.

The dataset mutations (``dataset_mutations.py``) and those from traces to datasets
(``dataset_spans.py``) take the same kinds of values: GlobalIDs of one type, JSON objects to
store, a dataset's name. Each is checked here, once, before anything is written, so that one
value is refused the same way whichever mutation carries it.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from spyglass_core.errors import NotFoundError
from spyglass_core.storable import MAX_JSON_DEPTH, MAX_NAME_LENGTH, json_depth_exceeds, walk_json
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.errors import ArgumentError
from spyglass_query_api.queries import dataset_pages
from spyglass_query_api.queries.ids import global_id, rowid_of

_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def rowid_argument(value: str, type_name: str, argument: str) -> int:
    """The row id of ``value``, a GlobalID of ``type_name``.

    Raises:
        ArgumentError: ``value`` is not such an id.
    """
    rowid = rowid_of(value, type_name)
    if rowid is None:
        raise ArgumentError(argument, f"`{argument}` is not a {type_name} id: {value!r}")
    return rowid


def json_object(value: Any, argument: str) -> dict[str, Any]:
    """``value`` if it is a JSON object PostgreSQL can store.

    Raises:
        ArgumentError: it is not an object, nests deeper than ``MAX_JSON_DEPTH`` levels, or
            holds what JSON can't carry exactly (a non-finite number, an integer past 64 bits,
            a lone surrogate).
    """
    if not isinstance(value, dict):
        kind = _KINDS.get(type(value), type(value).__name__)
        raise ArgumentError(argument, f"`{argument}` must be a JSON object, got {kind}")
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ArgumentError(argument, f"`{argument}` nests deeper than {MAX_JSON_DEPTH} levels")
    if any(isinstance(item, float) and not math.isfinite(item) for _, item, _ in walk_json(value)):
        raise ArgumentError(argument, f"`{argument}` must hold finite numbers only")
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise ArgumentError(argument, f"`{argument}` can't be stored: {error}") from None
    return value


def optional_json_object(value: Any, argument: str) -> dict[str, Any] | None:
    """``value`` checked as ``json_object`` checks it, or None if it is None."""
    return None if value is None else json_object(value, argument)


def dataset_name(value: Any, argument: str = "input.name") -> str:
    """A dataset's name: ``value`` without surrounding white space.

    Raises:
        ArgumentError: it is empty (or all white space), or longer than names may be.
    """
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise ArgumentError(argument, "`name` must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ArgumentError(
            argument, f"`name` must be at most {MAX_NAME_LENGTH} characters, got {len(name)}"
        )
    return name


async def dataset_payload(context: RequestContext, dataset_id: int) -> dict[str, Any]:
    """A mutation's answer: ``{dataset}``, the dataset as the mutation left it.

    Raises:
        NotFoundError: the dataset was deleted meanwhile.
    """
    nodes = await context.read(dataset_pages.get_dataset_nodes, [dataset_id])
    if dataset_id not in nodes:
        raise NotFoundError(f"Unknown dataset: {global_id('Dataset', dataset_id)}")
    return {"dataset": nodes[dataset_id]}
