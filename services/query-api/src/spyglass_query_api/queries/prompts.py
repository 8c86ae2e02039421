"""Prompts, their versions and tags: the rows REST shows and the statements behind them.

A prompt is created by its first version: adding a version to a name that no prompt has yet
creates the prompt, in one transaction, and two clients doing so at once both succeed (one
creates the prompt, the other adds its version to it) because the prompt is inserted with
``ON CONFLICT (name) DO NOTHING`` and otherwise read, under a key-share lock that keeps it from
being deleted before its new version is written. Versions are never changed; "latest" is a
prompt's newest version (its highest id). A tag is unique by (prompt, name): setting it on
another version of the prompt moves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Text

from spyglass_query_api.queries.pages import newest_first, page_start
from spyglass_query_api.queries.tables import ROWIDS


@dataclass(frozen=True)
class PromptRow:
    id: int
    name: str
    description: str | None
    source_prompt_id: int | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PromptVersionRow:
    id: int
    prompt_id: int
    description: str | None
    template_type: str
    template_format: str
    template: dict[str, Any]
    invocation_parameters: dict[str, Any]
    tools: dict[str, Any] | None
    response_format: dict[str, Any] | None
    model_provider: str
    model_name: str
    created_at: datetime


@dataclass(frozen=True)
class PromptVersionTagRow:
    id: int
    name: str
    description: str | None
    prompt_version_id: int


@dataclass(frozen=True)
class NewPromptVersion:
    """A version to add, its JSON values as they are stored."""

    description: str | None
    template_type: str
    template_format: str
    template: dict[str, Any]
    invocation_parameters: dict[str, Any]
    tools: dict[str, Any] | None
    response_format: dict[str, Any] | None
    model_provider: str
    model_name: str


_PROMPT_COLUMNS_SQL = (
    "p.id, p.name, p.description, p.source_prompt_id, p.metadata, p.created_at, p.updated_at"
)
_VERSION_COLUMNS_SQL = """
    v.id, v.prompt_id, v.description, v.template_type, v.template_format, v.template,
    v.invocation_parameters, v.tools, v.response_format, v.model_provider, v.model_name,
    v.created_at
"""
_TAG_COLUMNS_SQL = "t.id, t.name, t.description, t.prompt_version_id"

# Prompts ----------------------------------------------------------------------------------------

_PROMPT_BY_ID = text(
    f"SELECT {_PROMPT_COLUMNS_SQL} FROM prompts AS p WHERE p.id = :prompt_id"
).bindparams(bindparam("prompt_id", type_=BigInteger))

_PROMPT_BY_NAME = text(
    f"SELECT {_PROMPT_COLUMNS_SQL} FROM prompts AS p WHERE p.name = :name"
).bindparams(bindparam("name", type_=Text))

_LIST_PROMPTS = newest_first(f"SELECT {_PROMPT_COLUMNS_SQL} FROM prompts AS p", "p.id")

_INSERT_PROMPT = text(
    """
    INSERT INTO prompts (name, description, metadata) VALUES (:name, :description, :metadata)
    ON CONFLICT (name) DO NOTHING
    RETURNING id
    """
).bindparams(
    bindparam("name", type_=Text),
    bindparam("description", type_=Text),
    bindparam("metadata", type_=JSONB),
)

_LOCK_PROMPT = text("SELECT id FROM prompts WHERE name = :name FOR KEY SHARE").bindparams(
    bindparam("name", type_=Text)
)

_UPDATE_PROMPT = text(
    f"""
    UPDATE prompts AS p SET
        description = CASE WHEN :set_description THEN :description ELSE p.description END,
        metadata = CASE WHEN :set_metadata THEN :metadata ELSE p.metadata END,
        updated_at = now()
    WHERE p.id = :prompt_id
    RETURNING {_PROMPT_COLUMNS_SQL}
    """
).bindparams(
    bindparam("prompt_id", type_=BigInteger),
    bindparam("description", type_=Text),
    bindparam("metadata", type_=JSONB),
)

_DELETE_PROMPT = text("DELETE FROM prompts WHERE id = :prompt_id RETURNING id").bindparams(
    bindparam("prompt_id", type_=BigInteger)
)


def _prompt(row: Row[Any]) -> PromptRow:
    return PromptRow(**row._mapping)


async def get_prompt(connection: AsyncConnection, prompt_id: int) -> PromptRow | None:
    """The prompt with row id ``prompt_id``, or None."""
    result = await connection.execute(_PROMPT_BY_ID, {"prompt_id": prompt_id})
    row = result.one_or_none()
    return None if row is None else _prompt(row)


async def get_prompt_by_name(connection: AsyncConnection, name: str) -> PromptRow | None:
    """The prompt named ``name``, or None."""
    result = await connection.execute(_PROMPT_BY_NAME, {"name": name})
    row = result.one_or_none()
    return None if row is None else _prompt(row)


async def list_prompts(
    connection: AsyncConnection, start: int | None, fetch: int
) -> list[PromptRow]:
    """Up to ``fetch`` prompts, newest first, from row id ``start`` down."""
    result = await connection.execute(_LIST_PROMPTS, {"start": page_start(start), "fetch": fetch})
    return [_prompt(row) for row in result]


async def update_prompt(
    connection: AsyncConnection, prompt_id: int, changes: dict[str, Any]
) -> PromptRow | None:
    """Set the fields in ``changes`` (``description``, ``metadata``); None if there is no such
    prompt."""
    result = await connection.execute(
        _UPDATE_PROMPT,
        {
            "prompt_id": prompt_id,
            "set_description": "description" in changes,
            "description": changes.get("description"),
            "set_metadata": "metadata" in changes,
            "metadata": changes.get("metadata"),
        },
    )
    row = result.one_or_none()
    return None if row is None else _prompt(row)


async def delete_prompt(connection: AsyncConnection, prompt_id: int) -> bool:
    """Delete the prompt with its versions and tags; False if there is no such prompt."""
    result = await connection.execute(_DELETE_PROMPT, {"prompt_id": prompt_id})
    return result.first() is not None


# Versions ---------------------------------------------------------------------------------------

_INSERT_VERSION = text(
    f"""
    INSERT INTO prompt_versions AS v
        (prompt_id, description, template_type, template_format, template,
         invocation_parameters, tools, response_format, model_provider, model_name)
    VALUES (:prompt_id, :description, :template_type, :template_format, :template,
            :invocation_parameters, :tools, :response_format, :model_provider, :model_name)
    RETURNING {_VERSION_COLUMNS_SQL}
    """
).bindparams(
    bindparam("prompt_id", type_=BigInteger),
    bindparam("description", type_=Text),
    bindparam("template_type", type_=Text),
    bindparam("template_format", type_=Text),
    bindparam("template", type_=JSONB),
    bindparam("invocation_parameters", type_=JSONB),
    bindparam("tools", type_=JSONB(none_as_null=True)),
    bindparam("response_format", type_=JSONB(none_as_null=True)),
    bindparam("model_provider", type_=Text),
    bindparam("model_name", type_=Text),
)

_VERSION = text(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM prompt_versions AS v WHERE v.id = :version_id"
).bindparams(bindparam("version_id", type_=BigInteger))

_LATEST_VERSION = text(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM prompt_versions AS v WHERE v.prompt_id = :prompt_id "
    "ORDER BY v.id DESC LIMIT 1"
).bindparams(bindparam("prompt_id", type_=BigInteger))

_TAGGED_VERSION = text(
    f"""
    SELECT {_VERSION_COLUMNS_SQL}
    FROM prompt_version_tags AS t JOIN prompt_versions AS v ON v.id = t.prompt_version_id
    WHERE t.prompt_id = :prompt_id AND t.name = :name
    """
).bindparams(bindparam("prompt_id", type_=BigInteger), bindparam("name", type_=Text))

_LIST_VERSIONS = newest_first(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM prompt_versions AS v",
    "v.id",
    "v.prompt_id = :prompt_id",
    prompt_id=BigInteger(),
)


def _version(row: Row[Any]) -> PromptVersionRow:
    return PromptVersionRow(**row._mapping)


_CREATE_ATTEMPTS = 3
"""Tries at finding or creating the prompt: another request may delete it between our insert
(which found it) and our read (which didn't), and create it again after."""


async def create_prompt_version(
    connection: AsyncConnection,
    *,
    name: str,
    description: str | None,
    metadata: dict[str, Any],
    version: NewPromptVersion,
) -> PromptVersionRow:
    """Add ``version`` to the prompt ``name``, creating the prompt (with ``description`` and
    ``metadata``, else ignored) if there is none.

    Raises:
        RuntimeError: the prompt was created and deleted by others three times meanwhile.
    """
    prompt_id = None
    for _ in range(_CREATE_ATTEMPTS):
        values = {"name": name, "description": description, "metadata": metadata}
        prompt_id = (await connection.execute(_INSERT_PROMPT, values)).scalar_one_or_none()
        if prompt_id is None:
            locked = await connection.execute(_LOCK_PROMPT, {"name": name})
            prompt_id = locked.scalar_one_or_none()
        if prompt_id is not None:
            break
    if prompt_id is None:
        raise RuntimeError(f"prompt {name!r} kept disappearing while a version was added")
    result = await connection.execute(
        _INSERT_VERSION,
        {
            "prompt_id": prompt_id,
            "description": version.description,
            "template_type": version.template_type,
            "template_format": version.template_format,
            "template": version.template,
            "invocation_parameters": version.invocation_parameters,
            "tools": version.tools,
            "response_format": version.response_format,
            "model_provider": version.model_provider,
            "model_name": version.model_name,
        },
    )
    return _version(result.one())


async def get_prompt_version(
    connection: AsyncConnection, version_id: int
) -> PromptVersionRow | None:
    """The version with row id ``version_id``, or None."""
    result = await connection.execute(_VERSION, {"version_id": version_id})
    row = result.one_or_none()
    return None if row is None else _version(row)


async def get_latest_prompt_version(
    connection: AsyncConnection, prompt_id: int
) -> PromptVersionRow | None:
    """The prompt's newest version, or None if it has none."""
    result = await connection.execute(_LATEST_VERSION, {"prompt_id": prompt_id})
    row = result.one_or_none()
    return None if row is None else _version(row)


async def get_tagged_prompt_version(
    connection: AsyncConnection, prompt_id: int, tag_name: str
) -> PromptVersionRow | None:
    """The prompt's version its tag ``tag_name`` names, or None."""
    result = await connection.execute(_TAGGED_VERSION, {"prompt_id": prompt_id, "name": tag_name})
    row = result.one_or_none()
    return None if row is None else _version(row)


async def list_prompt_versions(
    connection: AsyncConnection, prompt_id: int, start: int | None, fetch: int
) -> list[PromptVersionRow]:
    """Up to ``fetch`` of the prompt's versions, newest first, from row id ``start`` down."""
    result = await connection.execute(
        _LIST_VERSIONS, {"prompt_id": prompt_id, "start": page_start(start), "fetch": fetch}
    )
    return [_version(row) for row in result]


# Tags -------------------------------------------------------------------------------------------

_LIST_TAGS = newest_first(
    f"SELECT {_TAG_COLUMNS_SQL} FROM prompt_version_tags AS t",
    "t.id",
    "t.prompt_version_id = :version_id",
    version_id=BigInteger(),
)

_SET_TAG = text(
    """
    INSERT INTO prompt_version_tags AS t (name, description, prompt_id, prompt_version_id)
    SELECT :name, :description, v.prompt_id, v.id FROM prompt_versions AS v
    WHERE v.id = :version_id
    ON CONFLICT (prompt_id, name) DO UPDATE SET
        prompt_version_id = excluded.prompt_version_id,
        description = excluded.description,
        updated_at = now()
    RETURNING t.id
    """
).bindparams(
    bindparam("version_id", type_=BigInteger),
    bindparam("name", type_=Text),
    bindparam("description", type_=Text),
)

_DELETE_TAG = text(
    """
    DELETE FROM prompt_version_tags AS t USING prompt_versions AS v
    WHERE v.id = :version_id AND t.prompt_id = v.prompt_id AND t.name = :name
    RETURNING t.id
    """
).bindparams(bindparam("version_id", type_=BigInteger), bindparam("name", type_=Text))


async def list_prompt_version_tags(
    connection: AsyncConnection, version_id: int, start: int | None, fetch: int
) -> list[PromptVersionTagRow]:
    """Up to ``fetch`` of the version's tags, newest first, from row id ``start`` down."""
    result = await connection.execute(
        _LIST_TAGS, {"version_id": version_id, "start": page_start(start), "fetch": fetch}
    )
    return [PromptVersionTagRow(**row._mapping) for row in result]


async def set_prompt_version_tag(
    connection: AsyncConnection, version_id: int, name: str, description: str | None
) -> bool:
    """Point the prompt's tag ``name`` at this version (moving it from another of the prompt's
    versions, its description replaced); False if there is no such version.

    A version deleted (with its prompt) while this runs is no such version: the foreign key's
    refusal ends the transaction, which the caller's error rolls back.
    """
    values = {"version_id": version_id, "name": name, "description": description}
    try:
        result = await connection.execute(_SET_TAG, values)
    except IntegrityError:
        return False
    return result.first() is not None


async def delete_prompt_version_tag(
    connection: AsyncConnection, version_id: int, name: str
) -> bool:
    """Delete the tag ``name`` of the version's prompt (whichever version it names); False if
    the version or the prompt's tag doesn't exist."""
    result = await connection.execute(_DELETE_TAG, {"version_id": version_id, "name": name})
    return result.first() is not None


# Batches: the rows of many prompts or versions at once, for GraphQL's loaders -------------------

_PROMPTS_BY_IDS = text(
    f"SELECT {_PROMPT_COLUMNS_SQL} FROM prompts AS p WHERE p.id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ROWIDS))

_VERSIONS_BY_IDS = text(
    f"SELECT {_VERSION_COLUMNS_SQL} FROM prompt_versions AS v WHERE v.id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ROWIDS))

_LATEST_VERSIONS = text(
    f"""
    SELECT {_VERSION_COLUMNS_SQL}
    FROM unnest(:ids) AS p(id)
    CROSS JOIN LATERAL (
        SELECT * FROM prompt_versions AS w WHERE w.prompt_id = p.id ORDER BY w.id DESC LIMIT 1
    ) AS v
    """
).bindparams(bindparam("ids", type_=ROWIDS))
"""Each prompt's newest version: one step down the (prompt_id, id) index per prompt."""

_VERSION_COUNTS = text(
    """
    SELECT v.prompt_id, count(*) FROM prompt_versions AS v
    WHERE v.prompt_id = ANY(:ids) GROUP BY v.prompt_id
    """
).bindparams(bindparam("ids", type_=ROWIDS))

_SEQUENCE_NUMBERS = text(
    """
    SELECT v.id, (SELECT count(*) FROM prompt_versions AS w
                  WHERE w.prompt_id = v.prompt_id AND w.id <= v.id)
    FROM prompt_versions AS v WHERE v.id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ROWIDS))

_TAGS_OF_PROMPTS = text(
    f"""
    SELECT t.prompt_id, {_TAG_COLUMNS_SQL} FROM prompt_version_tags AS t
    WHERE t.prompt_id = ANY(:ids) ORDER BY t.prompt_id, t.name
    """
).bindparams(bindparam("ids", type_=ROWIDS))

_TAGS_OF_VERSIONS = text(
    f"""
    SELECT {_TAG_COLUMNS_SQL} FROM prompt_version_tags AS t
    WHERE t.prompt_version_id = ANY(:ids) ORDER BY t.prompt_version_id, t.name
    """
).bindparams(bindparam("ids", type_=ROWIDS))


async def get_prompts(
    connection: AsyncConnection, prompt_ids: Sequence[int]
) -> dict[int, PromptRow]:
    """The prompts with these row ids, by id (an unknown id is left out)."""
    result = await connection.execute(_PROMPTS_BY_IDS, {"ids": list(prompt_ids)})
    return {row.id: _prompt(row) for row in result}


async def get_prompt_versions(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, PromptVersionRow]:
    """The versions with these row ids, by id (an unknown id is left out)."""
    result = await connection.execute(_VERSIONS_BY_IDS, {"ids": list(version_ids)})
    return {row.id: _version(row) for row in result}


async def get_latest_prompt_versions(
    connection: AsyncConnection, prompt_ids: Sequence[int]
) -> dict[int, PromptVersionRow]:
    """Each prompt's newest version, by prompt id (a prompt without versions is left out)."""
    result = await connection.execute(_LATEST_VERSIONS, {"ids": list(prompt_ids)})
    return {row.prompt_id: _version(row) for row in result}


async def count_prompt_versions(
    connection: AsyncConnection, prompt_ids: Sequence[int]
) -> dict[int, int]:
    """How many versions each prompt has, by prompt id (none: left out)."""
    result = await connection.execute(_VERSION_COUNTS, {"ids": list(prompt_ids)})
    return {int(prompt_id): int(count) for prompt_id, count in result}


async def get_prompt_version_numbers(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, int]:
    """Each version's place among its prompt's versions, 1 for the first, by version id."""
    result = await connection.execute(_SEQUENCE_NUMBERS, {"ids": list(version_ids)})
    return {int(version_id): int(number) for version_id, number in result}


async def list_tags_of_prompts(
    connection: AsyncConnection, prompt_ids: Sequence[int]
) -> dict[int, list[PromptVersionTagRow]]:
    """Each prompt's tags (whichever version each names), by name, by prompt id."""
    tags: dict[int, list[PromptVersionTagRow]] = {}
    for row in await connection.execute(_TAGS_OF_PROMPTS, {"ids": list(prompt_ids)}):
        tags.setdefault(row[0], []).append(PromptVersionTagRow(*row[1:]))
    return tags


async def list_tags_of_versions(
    connection: AsyncConnection, version_ids: Sequence[int]
) -> dict[int, list[PromptVersionTagRow]]:
    """Each version's tags, by name, by version id."""
    tags: dict[int, list[PromptVersionTagRow]] = {}
    for row in await connection.execute(_TAGS_OF_VERSIONS, {"ids": list(version_ids)}):
        tag = PromptVersionTagRow(*row)
        tags.setdefault(tag.prompt_version_id, []).append(tag)
    return tags
