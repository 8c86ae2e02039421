"""Reading a dataset upload: Phoenix's JSON body, or a CSV / JSONL file with key selections.

Files are read as a stream, one example at a time (:func:`file_examples`), so the writer can
store them in chunks without holding the whole table as Python objects; a gzip-compressed file
(``Content-Encoding: gzip`` on the part, or gzip's magic bytes) is decompressed as it is read.
CSV values arrive as strings, as Phoenix stores them; JSONL values keep their JSON types.
``flatten_keys[]`` names selected keys whose objects (JSON text in a CSV cell) give their keys
to the example instead (Phoenix's rule); a clash between keys is refused row by row, where
Phoenix compares the keys of the whole file (which a stream can't know in advance).

Every refusal is an :class:`UnprocessableEntityError` (422, plain text, as Phoenix answers a
bad upload) naming what is wrong: the line and column of a malformed row, the keys missing.

An upload that wrote ``ANALYZE_AFTER_ROWS`` example rows or more is followed, once committed and
answered, by :func:`analyze_after_upload`: the planner then knows its rows at once, not when
autovacuum comes round.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import orjson
import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from spyglass_core.storable import (
    MAX_JSON_DEPTH,
    MAX_NAME_LENGTH,
    NUL,
    has_nul,
    json_depth_exceeds,
)
from spyglass_query_api.queries.dataset_spans import MAX_SPANS
from spyglass_query_api.queries.datasets import NewExample, analyze_examples
from spyglass_query_api.rest.errors import UnprocessableEntityError

log = structlog.get_logger(__name__)

ACTIONS = frozenset({"create", "append", "update"})
ANALYZE_AFTER_ROWS = 10_000
"""Example rows (revisions) an upload writes from which the example tables are analyzed once it
has committed (``analyze_after_upload``): fewer leave the planner's picture about right."""
_GZIP_MAGIC = b"\x1f\x8b"
_JSONL_TYPES = frozenset({"application/jsonl", "application/x-jsonl", "application/x-ndjson"})
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/octet-stream"})


@dataclass(frozen=True)
class UploadTarget:
    """What an upload does: its action, the dataset's name and description."""

    action: str
    name: str
    description: str | None


def upload_target(action: object, name: object, description: object) -> UploadTarget:
    """Check the action and the dataset's name.

    Raises:
        UnprocessableEntityError: an unknown action (worded as Phoenix words it, which the
            client looks for), or a missing or too long name.
    """
    action = "create" if action in (None, "") else action
    if not isinstance(action, str) or action not in ACTIONS:
        raise UnprocessableEntityError(f"Invalid dataset action: {action}")
    if not isinstance(name, str) or not name:
        raise UnprocessableEntityError("Dataset name is required")
    if len(name) > MAX_NAME_LENGTH:
        raise UnprocessableEntityError(
            f"`name` must be at most {MAX_NAME_LENGTH} characters, got {len(name)}"
        )
    if description is not None and not isinstance(description, str):
        raise UnprocessableEntityError("`description` must be a string")
    check_text(name, "name")
    check_text(description, "description")
    return UploadTarget(action, name, description or None)


def check_text(value: str | None, field: str) -> None:
    """Refuse a form field PostgreSQL can't store (the JSON body's are checked by the guard).

    Raises:
        UnprocessableEntityError: ``value`` holds a NUL character.
    """
    if value is not None and has_nul(value):
        raise UnprocessableEntityError(f"`{field}` must not contain NUL characters")


def _objects(body: Mapping[str, Any], field: str, count: int) -> list[dict[str, Any]]:
    values = body.get(field)
    if values is None or values == []:
        return [{} for _ in range(count)]
    if not isinstance(values, list) or not all(isinstance(value, dict) for value in values):
        raise UnprocessableEntityError(f"`{field}` must be a list of objects")
    if len(values) != count:
        raise UnprocessableEntityError(
            f"`{field}` must have as many items as `inputs` ({len(values)} != {count})"
        )
    return values


def _optional_strings(body: Mapping[str, Any], field: str, count: int) -> list[str | None]:
    values = body.get(field)
    if values is None or values == []:
        return [None] * count
    if not isinstance(values, list) or not all(
        value is None or isinstance(value, str) for value in values
    ):
        raise UnprocessableEntityError(f"`{field}` must be a list of strings or nulls")
    if len(values) != count:
        raise UnprocessableEntityError(
            f"`{field}` must have as many items as `inputs` ({len(values)} != {count})"
        )
    return values


def _split_names(value: object, where: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return tuple(name for name in value if name)
    raise UnprocessableEntityError(f"{where}: a split is a name or a list of names")


def json_examples(body: Mapping[str, Any]) -> list[NewExample]:
    """The examples of a JSON upload (``inputs``, ``outputs``, ``metadata``, ``splits``,
    ``example_ids``; lists of the same length).

    Raises:
        UnprocessableEntityError: a field of the wrong shape or length.
    """
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(value, dict) for value in inputs):
        raise UnprocessableEntityError("`inputs` must be a list of objects")
    count = len(inputs)
    outputs = _objects(body, "outputs", count)
    metadata = _objects(body, "metadata", count)
    external_ids = _optional_strings(body, "example_ids", count)
    span_ids = _optional_strings(body, "span_ids", count)
    splits = body.get("splits") or [None] * count
    if not isinstance(splits, list) or len(splits) != count:
        raise UnprocessableEntityError(
            f"`splits` must be a list with as many items as `inputs` ({count})"
        )
    return [
        NewExample(
            input=inputs[index],
            output=outputs[index],
            metadata=metadata[index],
            external_id=external_ids[index],
            splits=_split_names(splits[index], f"`splits.{index}`"),
            span_id=span_ids[index],
        )
        for index in range(count)
    ]


def spans_only(body: Mapping[str, Any]) -> list[str] | None:
    """The span ids of an upload that takes its examples from spans (``span_ids`` without
    ``inputs``), each once; None for an upload of ``inputs``.

    Raises:
        UnprocessableEntityError: ``span_ids`` is not a list of span ids, is empty, or names
            more than ``MAX_SPANS``.
    """
    span_ids = body.get("span_ids")
    if body.get("inputs") is not None or span_ids is None:
        return None
    if not isinstance(span_ids, list) or not all(
        isinstance(span_id, str) and span_id for span_id in span_ids
    ):
        raise UnprocessableEntityError("`span_ids` must be a list of span ids (strings)")
    if not span_ids:
        raise UnprocessableEntityError("`span_ids` must name at least one span")
    if len(span_ids) > MAX_SPANS:
        raise UnprocessableEntityError(
            f"`span_ids` names {len(span_ids)} spans; at most {MAX_SPANS} an upload"
        )
    return list(dict.fromkeys(span_ids))


@dataclass(frozen=True)
class KeySelection:
    """Which columns (or JSONL keys) go where; every one must exist in the file."""

    input_keys: tuple[str, ...]
    output_keys: tuple[str, ...] = ()
    metadata_keys: tuple[str, ...] = ()
    split_keys: tuple[str, ...] = ()
    split_key: str | None = None
    example_id_key: str | None = None
    span_id_key: str | None = None
    flatten_keys: frozenset[str] = frozenset()
    """Selected keys holding objects whose keys become the example's own (Phoenix's
    ``flatten_keys[]``): ``{"ctx": {"a": 1}}`` selected as input gives ``{"a": 1}``."""

    def required(self) -> list[str]:
        """Every key named, once, in order."""
        keys = [*self.input_keys, *self.output_keys, *self.metadata_keys, *self.split_keys]
        keys += [key for key in (self.split_key, self.example_id_key, self.span_id_key) if key]
        return list(dict.fromkeys(keys))

    def missing(self, available: Sequence[str] | Mapping[str, Any]) -> list[str]:
        """The keys named that ``available`` lacks."""
        return [key for key in self.required() if key not in available]

    def example(
        self, row: Mapping[str, Any], where: str, *, text_cells: bool = False
    ) -> NewExample:
        """The example a row (column -> value) makes; ``text_cells``: a CSV row, whose
        flattened columns hold JSON objects as text."""
        splits: list[str] = []
        for key in self.split_keys:
            splits.extend(_split_names(row[key], where))
        if self.split_key is not None:
            value = row[self.split_key]
            if isinstance(value, str) and value.startswith("["):
                with contextlib.suppress(orjson.JSONDecodeError):
                    value = orjson.loads(value)
            splits.extend(_split_names(value, where))
        external_id = row[self.example_id_key] if self.example_id_key else None
        span_id = row[self.span_id_key] if self.span_id_key else None
        return NewExample(
            input=self._bucket(row, self.input_keys, where, text_cells),
            output=self._bucket(row, self.output_keys, where, text_cells),
            metadata=self._bucket(row, self.metadata_keys, where, text_cells),
            external_id=None if external_id in (None, "") else str(external_id),
            splits=tuple(dict.fromkeys(splits)),
            span_id=span_id if isinstance(span_id, str) and span_id else None,
        )

    def _bucket(
        self, row: Mapping[str, Any], keys: tuple[str, ...], where: str, text_cells: bool
    ) -> dict[str, Any]:
        """The selected ``keys`` of ``row``, those in ``flatten_keys`` replaced by their
        object's keys (in CSV, those without a value are left out, as Phoenix leaves them).

        Raises:
            UnprocessableEntityError: a flattened value is not an object, or one of its keys
                is also a selected key or another flattened object's key.
        """
        bucket = {key: row[key] for key in keys if key not in self.flatten_keys}
        flattened_from: dict[str, str] = {}
        for key in keys:
            if key not in self.flatten_keys:
                continue
            for child, value in _object_to_flatten(row[key], key, where, text_cells).items():
                if text_cells and (value is None or (isinstance(value, str) and not value.strip())):
                    continue
                if child in bucket:
                    clash = (
                        f"the key of {flattened_from[child]!r} too"
                        if child in flattened_from
                        else "a selected column too"
                    )
                    raise UnprocessableEntityError(
                        f"{where}: can't flatten {key!r}: its key {child!r} is {clash}"
                    )
                bucket[child] = value
                flattened_from[child] = key
        return bucket


def _object_to_flatten(value: Any, key: str, where: str, text: bool) -> dict[str, Any]:
    """The object a flattened key holds (in a CSV cell, as JSON text).

    Raises:
        UnprocessableEntityError: it is not an object, or one PostgreSQL can't store.
    """
    if text and isinstance(value, str):
        with contextlib.suppress(orjson.JSONDecodeError):
            value = orjson.loads(value)
        if _holds_nul(value):
            raise UnprocessableEntityError(
                f"{where}, column {key!r}: NUL characters (\\u0000) can't be stored"
            )
        if json_depth_exceeds(value):
            raise UnprocessableEntityError(
                f"{where}, column {key!r}: must not nest objects and arrays deeper than "
                f"{MAX_JSON_DEPTH} levels"
            )
    if not isinstance(value, dict):
        raise UnprocessableEntityError(f"{where}: can't flatten {key!r}: expected an object")
    return value


def _missing_keys(missing: list[str]) -> UnprocessableEntityError:
    return UnprocessableEntityError(
        f"Keys not found in the file's columns: {', '.join(repr(key) for key in missing)}"
    )


def _decompressed(raw: IO[bytes], content_encoding: str | None) -> IO[bytes] | gzip.GzipFile:
    head = raw.read(2)
    raw.seek(0)
    if head == _GZIP_MAGIC or (content_encoding or "").lower() == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def is_jsonl(content_type: str, filename: str | None) -> bool:
    """Whether a file part holds JSON lines (by its content type, or a ``.jsonl`` name)."""
    if content_type.lower() in _JSONL_TYPES:
        return True
    name = (filename or "").lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".ndjson"))


def check_file_type(content_type: str, filename: str | None) -> None:
    """Refuse file types we don't read (Phoenix's Arrow upload, say).

    Raises:
        UnprocessableEntityError: neither CSV nor JSONL.
    """
    if not (is_jsonl(content_type, filename) or content_type.lower() in _CSV_TYPES):
        raise UnprocessableEntityError(
            f"Unsupported file type: {content_type}; upload text/csv or application/jsonl"
        )


def file_examples(
    raw: IO[bytes],
    *,
    jsonl: bool,
    content_encoding: str | None,
    keys: KeySelection,
) -> Iterator[NewExample]:
    """The examples of an uploaded file, one at a time, read as they are needed.

    Raises:
        UnprocessableEntityError: the file is not valid gzip or UTF-8, a line is malformed, or
            keys are missing (named with their line and column).
    """
    binary = _decompressed(raw, content_encoding)
    stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    rows = _jsonl_rows(stream, keys) if jsonl else _csv_rows(stream, keys)
    try:
        yield from rows
    except UnicodeDecodeError as error:
        raise UnprocessableEntityError(f"The file is not UTF-8 text: {error.reason}") from None
    except (OSError, EOFError, zlib.error) as error:
        raise UnprocessableEntityError(f"The file is not valid gzip: {error}") from None


def _csv_rows(stream: IO[str], keys: KeySelection) -> Iterator[NewExample]:
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnprocessableEntityError("The CSV file is empty: it has no header line")
        if any(NUL in column for column in header):
            raise UnprocessableEntityError("CSV line 1: NUL characters can't be stored")
        duplicates = sorted({column for column in header if header.count(column) > 1})
        if duplicates:
            raise UnprocessableEntityError(f"Duplicate columns in the CSV header: {duplicates}")
        missing = keys.missing(header)
        if missing:
            raise _missing_keys(missing)
        width = len(header)
        for fields in reader:
            if not fields:
                continue  # a blank line
            line = reader.line_num
            if len(fields) > width:
                raise UnprocessableEntityError(
                    f"CSV line {line}: {len(fields)} fields, the header has {width} "
                    f"(column {width + 1} has no header)"
                )
            if len(fields) < width:
                raise UnprocessableEntityError(
                    f"CSV line {line}: {len(fields)} fields, the header has {width} "
                    f"(column {len(fields) + 1}, {header[len(fields)]!r}, is missing)"
                )
            for column, value in enumerate(fields):
                if NUL in value:
                    raise UnprocessableEntityError(
                        f"CSV line {line}, column {column + 1} ({header[column]!r}): "
                        "NUL characters can't be stored"
                    )
            row = dict(zip(header, fields, strict=True))
            yield keys.example(row, f"CSV line {line}", text_cells=True)
    except csv.Error as error:
        raise UnprocessableEntityError(f"CSV line {reader.line_num}: {error}") from None


def _holds_nul(value: Any) -> bool:
    """Whether a parsed JSON value has a NUL in a string or key (PostgreSQL's jsonb can't)."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(NUL in key or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _jsonl_rows(stream: IO[str], keys: KeySelection) -> Iterator[NewExample]:
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise UnprocessableEntityError(
                f"JSONL line {line_number}, column {error.colno}: {error.msg}"
            ) from None
        if NUL in line or ("\\u0000" in line and _holds_nul(row)):
            raise UnprocessableEntityError(
                f"JSONL line {line_number}: NUL characters (\\u0000) can't be stored"
            )
        if not isinstance(row, dict):
            raise UnprocessableEntityError(
                f"JSONL line {line_number}: expected a JSON object, got {type(row).__name__}"
            )
        missing = keys.missing(row)
        if missing:
            raise UnprocessableEntityError(
                f"JSONL line {line_number}: keys not found: "
                f"{', '.join(repr(key) for key in missing)}"
            )
        yield keys.example(row, f"JSONL line {line_number}")


async def analyze_after_upload(engine: AsyncEngine, rows: int) -> None:
    """After an upload of ``rows`` example rows has committed: refresh the planner's statistics
    of the example tables (``queries.datasets.analyze_examples``) on a connection of its own.

    Run as the upload response's background task, so that its time is not the client's. A
    failure is logged and dropped: autovacuum analyzes the tables later anyway.
    """
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await analyze_examples(autocommit)
    except (SQLAlchemyError, OSError) as error:
        log.warning("dataset_analyze_failed", rows=rows, error=str(error))
        return
    elapsed = round((time.perf_counter() - started) * 1000)
    log.info("dataset_examples_analyzed", rows=rows, ms=elapsed)
