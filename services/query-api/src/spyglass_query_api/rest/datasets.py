"""``/v1/datasets``: upload, list, get and delete datasets, their versions and examples.

Phoenix's shapes: ids are GlobalIDs (``Dataset``, ``DatasetVersion``, ``DatasetExample``); an
example's ``id`` is its client id (``example_ids`` / ``example_id_key``) if it has one, else its
GlobalID, and ``node_id`` is always the GlobalID. Lists are Phoenix's cursor pages (10 by
default).

An upload (``POST /v1/datasets/upload``) is Phoenix's JSON body or a multipart form with a CSV
or JSONL file (gzip-compressed or not); it creates one version, writing its examples
``UPLOAD_CHUNK`` at a time as the file is read, in the request's one transaction: a refused or
failed upload leaves no version behind. ``action=update`` (Phoenix's declarative upsert) makes
the new version hold exactly the uploaded examples: each matches a current one by its client id
or, without one, by equal content; changed matches are patched, the rest created, and current
examples left unmatched deleted; split memberships are added, never removed.

A JSON upload with ``span_ids`` and no ``inputs`` (our extension) takes each example's input,
output and metadata from the stored span it names, as Phoenix's ``addSpansToDataset`` does, and
links the example to it; a span id that names no stored span is a 422 naming it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import orjson
from litestar import Controller, MediaType, Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.exceptions import SerializationException
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromQuery, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_core.errors import ConflictError, NotFoundError
from spyglass_core.storable import MAX_NAME_LENGTH
from spyglass_query_api.dependencies import Db
from spyglass_query_api.queries import dataset_spans as span_queries
from spyglass_query_api.queries import datasets as queries
from spyglass_query_api.queries.dataset_spans import UnknownSpansError
from spyglass_query_api.queries.datasets import DatasetRow, NewExample
from spyglass_query_api.queries.ids import global_id, rowid_of
from spyglass_query_api.queries.pages import Keyset
from spyglass_query_api.rest.dataset_upload import (
    ANALYZE_AFTER_ROWS,
    KeySelection,
    UploadTarget,
    analyze_after_upload,
    check_file_type,
    check_text,
    file_examples,
    is_jsonl,
    json_examples,
    spans_only,
    upload_target,
)
from spyglass_query_api.rest.errors import UnprocessableEntityError, UnprocessableParameterError
from spyglass_query_api.rest.pagination import page_of, page_request

UPLOAD_CHUNK = 5_000
"""Examples written by one statement of an upload."""
MAX_UPLOAD_BYTES = 1 << 30
"""The largest upload body taken (1 GiB)."""

DatasetId: TypeAlias = Annotated[str, PathParameter(description="The ID of the dataset")]


class Dataset(BaseModel):
    id: str
    name: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    example_count: int


class DatasetsPage(BaseModel):
    data: list[Dataset]
    next_cursor: str | None


class DatasetBody(BaseModel):
    data: Dataset


class DatasetVersion(BaseModel):
    version_id: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime


class DatasetVersionsPage(BaseModel):
    data: list[DatasetVersion]
    next_cursor: str | None


class UploadDatasetData(BaseModel):
    dataset_id: str
    version_id: str
    num_created_examples: int
    num_updated_examples: int
    num_deleted_examples: int


class UploadDatasetBody(BaseModel):
    data: UploadDatasetData


def _strings(description: str | None = None) -> Schema:
    return Schema(
        type=OpenAPIType.ARRAY,
        items=Schema(type=OpenAPIType.STRING),
        unique_items=True,
        description=description,
    )


def _objects() -> Schema:
    return Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))


_ACTION = Schema(type=OpenAPIType.STRING, enum=["create", "append", "update"])
_NULLABLE_STRING = Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)])
UPLOAD_REQUEST_BODY = RequestBody(
    required=True,
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=["name"],
                properties={
                    "action": _ACTION,
                    "name": Schema(type=OpenAPIType.STRING),
                    "description": Schema(type=OpenAPIType.STRING),
                    "inputs": _objects(),
                    "outputs": _objects(),
                    "metadata": _objects(),
                    "splits": Schema(
                        type=OpenAPIType.ARRAY,
                        items=Schema(
                            one_of=[
                                Schema(type=OpenAPIType.STRING),
                                Schema(
                                    type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)
                                ),
                                Schema(type=OpenAPIType.NULL),
                            ]
                        ),
                        description="Split per example: string, string array, or null",
                    ),
                    "span_ids": Schema(
                        type=OpenAPIType.ARRAY,
                        items=_NULLABLE_STRING,
                        description="OTel span ids linking examples to their spans; without "
                        "`inputs`, each example's input, output and metadata come from its span",
                    ),
                    "example_ids": Schema(type=OpenAPIType.ARRAY, items=_NULLABLE_STRING),
                },
            )
        ),
        "multipart/form-data": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=["name", "input_keys[]", "output_keys[]", "file"],
                properties={
                    "action": _ACTION,
                    "name": Schema(type=OpenAPIType.STRING),
                    "description": Schema(type=OpenAPIType.STRING),
                    "input_keys[]": _strings(),
                    "output_keys[]": _strings(),
                    "metadata_keys[]": _strings(),
                    "split_keys[]": _strings("Columns whose values name the example's splits"),
                    "split_key": Schema(
                        type=OpenAPIType.STRING,
                        description="A column naming the splits (a name or a JSON list)",
                    ),
                    "example_id_key": Schema(
                        type=OpenAPIType.STRING, description="A column of stable example ids"
                    ),
                    "flatten_keys[]": _strings(
                        "Selected columns holding objects whose keys become the example's own"
                    ),
                    "span_id_key": Schema(
                        type=OpenAPIType.STRING,
                        description="A column of span ids linking examples to their spans",
                    ),
                    "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                },
            )
        ),
    },
)
"""Phoenix's upload bodies (the handler reads the request itself, to stream the file)."""


@dataclass
class _UploadOperation(Operation):
    """The upload's operation, with the request body litestar can't infer."""

    def __post_init__(self) -> None:
        self.request_body = UPLOAD_REQUEST_BODY


def _dataset(row: DatasetRow) -> Dataset:
    return Dataset(
        id=global_id("Dataset", row.id),
        name=row.name,
        description=row.description,
        metadata=row.metadata,
        created_at=row.created_at,
        updated_at=row.updated_at,
        example_count=row.example_count,
    )


def _rowid(value: str, type_name: str, parameter: str, location: str = "path") -> int:
    rowid = rowid_of(value, type_name)
    if rowid is None:
        raise UnprocessableParameterError(
            parameter, f"Invalid {type_name} ID: {value!r}", location=location
        )
    return rowid


async def dataset_by_identifier(connection: AsyncConnection, identifier: str) -> DatasetRow:
    """The dataset a ``{dataset_identifier}`` names: its GlobalID, else its name (Phoenix's rule).

    Raises:
        NotFoundError: no dataset has that id or name.
    """
    rowid = rowid_of(identifier, "Dataset")
    if rowid is not None:
        row = await queries.get_dataset_by_rowid(connection, rowid)
        if row is None:
            raise NotFoundError(f"Dataset with ID {identifier} not found")
        return row
    # a name longer than any dataset may have names none (and is no key to look up)
    fits = len(identifier) <= MAX_NAME_LENGTH
    row = await queries.find_dataset_by_name(connection, identifier) if fits else None
    if row is None:
        raise NotFoundError(f"Dataset with name {identifier} not found")
    return row


async def _get_dataset(connection: Db, dataset_id: str) -> DatasetRow:
    row = await queries.get_dataset_by_rowid(connection, _rowid(dataset_id, "Dataset", "id"))
    if row is None:
        raise NotFoundError(f"Dataset with ID {dataset_id} not found")
    return row


def _keyset(start: int | None, fetch: int) -> Keyset:
    return Keyset(
        descending=True, fetch=fetch, after_value=start, after_rowid=start, inclusive=True
    )


async def _write(
    connection: Db, dataset_rowid: int, version_id: int, examples: Iterable[NewExample]
) -> int:
    """Write ``examples`` ``UPLOAD_CHUNK`` at a time; answers how many."""
    written = 0
    chunk: list[NewExample] = []
    try:
        for example in examples:
            chunk.append(example)
            if len(chunk) == UPLOAD_CHUNK:
                written += await queries.write_examples(
                    connection, dataset_rowid, version_id, chunk
                )
                chunk = []
        if chunk:
            written += await queries.write_examples(connection, dataset_rowid, version_id, chunk)
    except IntegrityError:
        raise ConflictError(
            "An example id of the upload is taken in the dataset (or repeated in the upload)"
        ) from None
    return written


async def _span_examples(connection: Db, span_ids: list[str]) -> list[NewExample]:
    """The examples the spans give (an upload of ``span_ids`` without ``inputs``).

    Raises:
        UnprocessableParameterError: a span id names no stored span (the first one named).
    """
    try:
        return await span_queries.examples_from_spans(connection, span_ids=span_ids)
    except UnknownSpansError as error:
        index = span_ids.index(str(error.unknown[0]))
        shown = ", ".join(repr(span_id) for span_id in error.unknown[:10])
        raise UnprocessableParameterError(
            f"span_ids.{index}", f"Unknown span ids: {shown}", location="body"
        ) from None


async def _version_for(connection: Db, target: UploadTarget) -> tuple[int, int, int | None]:
    """The dataset the upload goes to (created if it must be, its row locked), its new
    version's id, and for ``update`` of an existing dataset the version it replaces.

    Raises:
        ConflictError: ``create`` of a name that is taken.
    """
    dataset_rowid = await queries.lock_dataset(connection, target.name)
    if dataset_rowid is not None and target.action == "create":
        raise ConflictError(f"Dataset with the same name already exists: name={target.name!r}")
    previous_version = None
    if dataset_rowid is not None and target.action == "update":
        previous_version = await queries.get_latest_version(connection, dataset_rowid)
    if dataset_rowid is None:
        dataset_rowid = await queries.create_dataset(
            connection, target.name, target.description, {}
        )
        if dataset_rowid is None and target.action != "create":
            # created meanwhile by another upload, which has committed: add to it
            dataset_rowid = await queries.lock_dataset(connection, target.name)
            if dataset_rowid is not None and target.action == "update":
                previous_version = await queries.get_latest_version(connection, dataset_rowid)
        if dataset_rowid is None:
            raise ConflictError(f"Dataset with the same name already exists: name={target.name!r}")
    version_id = await queries.create_version(connection, dataset_rowid, None, {})
    return dataset_rowid, version_id, previous_version


async def _update(
    connection: Db,
    dataset_rowid: int,
    previous_version: int,
    version_id: int,
    examples: Iterable[NewExample],
) -> queries.UpdateCounts:
    """Stage the upload ``UPLOAD_CHUNK`` at a time, then make the version hold exactly it."""
    await queries.stage_upload(connection)
    staged = 0
    chunk: list[NewExample] = []
    for example in examples:
        chunk.append(example)
        if len(chunk) == UPLOAD_CHUNK:
            staged += await queries.stage_examples(connection, staged, chunk)
            chunk = []
    if chunk:
        await queries.stage_examples(connection, staged, chunk)
    try:
        return await queries.apply_update(connection, dataset_rowid, previous_version, version_id)
    except IntegrityError:
        raise ConflictError("An example id is repeated in the upload") from None


def _form_keys(form: Any, field: str) -> tuple[str, ...]:
    values = [value for value in form.getall(field, []) if isinstance(value, str) and value]
    for value in values:
        check_text(value, field)
    return tuple(dict.fromkeys(values))


def _form_text(form: Any, field: str) -> str | None:
    value = form.get(field)
    if not isinstance(value, str) or not value:
        return None
    check_text(value, field)
    return value


class DatasetController(Controller):
    path = "/v1/datasets"
    tags = ["datasets"]  # noqa: RUF012 (litestar declares it as an instance variable)

    @get(summary="List datasets")
    async def list_datasets(
        self,
        connection: Db,
        cursor: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        limit: FromQuery[int] = 10,
    ) -> DatasetsPage:
        """Datasets by id, newest first, ``limit`` at a time; only the one named ``name``."""
        page = page_request(cursor, limit, "Dataset", default=10, maximum=1000)
        rows = await queries.list_datasets(connection, _keyset(page.start, page.fetch), name)
        cut = page_of(rows, page, "Dataset")
        return DatasetsPage(data=[_dataset(row) for row in cut.rows], next_cursor=cut.next_cursor)

    @get("/{id:str}", summary="Get a dataset")
    async def get_dataset(self, connection: Db, id: DatasetId) -> DatasetBody:
        """A dataset with its example count (as of its latest version)."""
        return DatasetBody(data=_dataset(await _get_dataset(connection, id)))

    @delete("/{id:str}", summary="Delete a dataset", status_code=HTTP_204_NO_CONTENT)
    async def delete_dataset(self, connection: Db, id: DatasetId) -> None:
        """Delete a dataset with its versions, examples and experiments."""
        if not await queries.delete_dataset(connection, _rowid(id, "Dataset", "id")):
            raise NotFoundError(f"Dataset with ID {id} not found")

    @get("/{id:str}/versions", summary="List a dataset's versions")
    async def list_dataset_versions(
        self,
        connection: Db,
        id: DatasetId,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 10,
    ) -> DatasetVersionsPage:
        """A dataset's versions, newest first (none for a dataset that does not exist)."""
        dataset_rowid = _rowid(id, "Dataset", "id")
        page = page_request(cursor, limit, "DatasetVersion", default=10, maximum=1000)
        rows = await queries.list_dataset_versions(
            connection, dataset_rowid, _keyset(page.start, page.fetch)
        )
        cut = page_of(rows, page, "DatasetVersion")
        versions = [
            DatasetVersion(
                version_id=global_id("DatasetVersion", row.id),
                description=row.description,
                metadata=row.metadata,
                created_at=row.created_at,
            )
            for row in cut.rows
        ]
        return DatasetVersionsPage(data=versions, next_cursor=cut.next_cursor)

    @get("/{id:str}/examples", summary="Get a dataset's examples")
    async def get_dataset_examples(
        self,
        connection: Db,
        id: DatasetId,
        version_id: FromQuery[str | None] = None,
        split: FromQuery[list[str] | None] = None,
    ) -> Response[bytes]:
        """Every example of a version (the latest by default), in one statement; with
        ``split``, those in any of the splits named (GlobalIDs or names)."""
        dataset = await _get_dataset(connection, id)
        if version_id:
            version_rowid = _rowid(version_id, "DatasetVersion", "version_id", "query")
            if not await queries.is_version_of(connection, dataset.id, version_rowid):
                raise NotFoundError(f"No dataset version with id {version_id} can be found")
        else:
            latest = await queries.get_latest_version(connection, dataset.id)
            if latest is None:
                raise NotFoundError(f"Dataset {id} has no versions")
            version_rowid = latest
        split_rowids: list[int] | None = None
        data: dict[str, Any] = {
            "dataset_id": global_id("Dataset", dataset.id),
            "version_id": global_id("DatasetVersion", version_rowid),
        }
        if split:
            ids = [rowid for value in split if (rowid := rowid_of(value, "DatasetSplit"))]
            splits = await queries.find_splits(connection, split, ids)
            split_rowids = [split_rowid for split_rowid, _ in splits]
            data["filtered_splits"] = [name for _, name in splits]
        examples = await queries.get_examples_json(
            connection, dataset.id, version_rowid, split_rowids
        )
        head = orjson.dumps(data)[:-1]  # without its closing brace: the examples follow
        body = b"".join((b'{"data":', head, b',"examples":[', examples.encode(), b"]}}"))
        return Response(body, media_type=MediaType.JSON)

    @post(
        "/upload",
        summary="Upload a dataset",
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_UPLOAD_BYTES,
        operation_class=_UploadOperation,
    )
    async def upload_dataset(
        self,
        connection: Db,
        request: Request[Any, Any, Any],
        sync: FromQuery[bool] = False,
    ) -> Response[UploadDatasetBody | None]:
        """Create a dataset or add a version of examples to one, from Phoenix's JSON body or a
        multipart form with a CSV or JSONL file; with ``sync=true`` the answer names the
        dataset and version (as Phoenix's), else it is ``null``."""
        if request.content_type[0] == "multipart/form-data":
            form = await request.form()
            target = upload_target(
                form.get("action"), form.get("name"), _form_text(form, "description")
            )
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise UnprocessableEntityError("The form has no file part named `file`")
            check_file_type(upload.content_type, upload.filename)
            keys = KeySelection(
                input_keys=_form_keys(form, "input_keys[]"),
                output_keys=_form_keys(form, "output_keys[]"),
                metadata_keys=_form_keys(form, "metadata_keys[]"),
                split_keys=_form_keys(form, "split_keys[]"),
                split_key=_form_text(form, "split_key"),
                example_id_key=_form_text(form, "example_id_key"),
                span_id_key=_form_text(form, "span_id_key"),
                flatten_keys=frozenset(_form_keys(form, "flatten_keys[]")),
            )
            if not keys.input_keys:
                raise UnprocessableEntityError("`input_keys[]` must name at least one column")
            upload.file.seek(0)
            examples: Iterable[NewExample] = file_examples(
                upload.file,
                jsonl=is_jsonl(upload.content_type, upload.filename),
                content_encoding=upload.headers.get("content-encoding")
                or upload.headers.get("Content-Encoding"),
                keys=keys,
            )
        else:
            try:
                body = await request.json()
            except SerializationException:
                raise UnprocessableEntityError("The body is not valid JSON") from None
            if not isinstance(body, dict):
                raise UnprocessableEntityError("The body must be a JSON object")
            target = upload_target(body.get("action"), body.get("name"), body.get("description"))
            span_ids = spans_only(body)
            if span_ids is None:
                examples = json_examples(body)
            else:
                examples = await _span_examples(connection, span_ids)
        dataset_rowid, version_id, previous_version = await _version_for(connection, target)
        if previous_version is None:
            created = await _write(connection, dataset_rowid, version_id, examples)
            counts = queries.UpdateCounts(created=created, updated=0, deleted=0)
        else:
            counts = await _update(
                connection, dataset_rowid, previous_version, version_id, examples
            )
        written = counts.created + counts.updated + counts.deleted
        analyze = (
            BackgroundTask(analyze_after_upload, connection.engine, written)
            if written >= ANALYZE_AFTER_ROWS
            else None
        )  # runs after the response, the upload's transaction committed before it
        if not sync:
            return Response(None, background=analyze)
        body = UploadDatasetBody(
            data=UploadDatasetData(
                dataset_id=global_id("Dataset", dataset_rowid),
                version_id=global_id("DatasetVersion", version_id),
                num_created_examples=counts.created,
                num_updated_examples=counts.updated,
                num_deleted_examples=counts.deleted,
            )
        )
        return Response(body, background=analyze)
