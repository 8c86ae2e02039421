"""Online evaluation rules: their rows, their changes, and the writes a user's pause and resume
make. What the rules did (counts, jobs, spend) is :mod:`.evaluation_rule_figures`.

A rule's ``version`` counts changes to what it does; the dispatcher records each job with the
version that decided it and the worker drops a job whose rule has moved on, so a change never
runs under the old settings. Pausing keeps the version: the worker parks the rule's jobs as
``PENDING`` with the pause as their reason (``spyglass_db.evaluation_jobs.claim_job``), and a
resume makes those due at once (``unpark_rule_jobs``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Boolean, Float, Integer, Text

from spyglass_query_api.queries.pages import newest_first, page_start


@dataclass(frozen=True)
class RuleSettings:
    """What a rule is: everything a user sets."""

    name: str
    annotation_name: str
    evaluator_id: int
    evaluator_version: int | None
    filter: str
    target: str
    sampling_rate: float
    delay_seconds: float
    quiet_seconds: float
    input_mapping: dict[str, Any]
    max_tokens_per_day: int | None
    max_cost_per_day: float | None


@dataclass(frozen=True)
class RuleRow:
    id: int
    project_id: int
    project_name: str
    name: str
    annotation_name: str
    evaluator_id: int
    evaluator_name: str
    evaluator_kind: str
    evaluator_version: int | None
    filter: str
    target: str
    sampling_rate: float
    delay_seconds: float
    quiet_seconds: float
    input_mapping: dict[str, Any]
    max_tokens_per_day: int | None
    max_cost_per_day: float | None
    status: str
    status_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    def settings(self) -> RuleSettings:
        """The rule's settings, to change some and write them back."""
        return RuleSettings(
            **{name: getattr(self, name) for name in RuleSettings.__dataclass_fields__}
        )


_RULE_SQL = """
    SELECT r.id, r.project_id, p.name AS project_name, r.name, r.annotation_name,
        r.evaluator_id, e.name AS evaluator_name, e.kind AS evaluator_kind, r.evaluator_version,
        r.filter, r.target, r.sampling_rate, r.delay_seconds, r.quiet_seconds, r.input_mapping,
        r.max_tokens_per_day, r.max_cost_per_day, r.status, r.status_reason, r.version,
        r.created_at, r.updated_at
    FROM evaluation_rules AS r
    JOIN projects AS p ON p.id = r.project_id
    JOIN evaluators AS e ON e.id = r.evaluator_id
"""

_SETTINGS_PARAMETERS = (
    bindparam("name", type_=Text),
    bindparam("annotation_name", type_=Text),
    bindparam("evaluator_id", type_=BigInteger),
    bindparam("evaluator_version", type_=Integer),
    bindparam("filter", type_=Text),
    bindparam("target", type_=Text),
    bindparam("sampling_rate", type_=Float),
    bindparam("delay_seconds", type_=Float),
    bindparam("quiet_seconds", type_=Float),
    bindparam("input_mapping", type_=JSONB),
    bindparam("max_tokens_per_day", type_=BigInteger),
    bindparam("max_cost_per_day", type_=Float),
)

_RULE = text(f"{_RULE_SQL} WHERE r.id = :rule_id").bindparams(
    bindparam("rule_id", type_=BigInteger)
)
_LOCKED_RULE = text(f"{_RULE_SQL} WHERE r.id = :rule_id FOR UPDATE OF r").bindparams(
    bindparam("rule_id", type_=BigInteger)
)
_LIST_RULES = newest_first(_RULE_SQL, "r.id", "r.project_id = :project_id", project_id=BigInteger())
_PROJECT_RULES = text(
    f"{_RULE_SQL} WHERE r.project_id = :project_id ORDER BY r.id LIMIT :limit"
).bindparams(bindparam("project_id", type_=BigInteger), bindparam("limit", type_=BigInteger))

_INSERT_RULE = text(
    """
    INSERT INTO evaluation_rules
        (project_id, name, annotation_name, evaluator_id, evaluator_version, filter, target,
         sampling_rate, delay_seconds, quiet_seconds, input_mapping, max_tokens_per_day,
         max_cost_per_day)
    VALUES
        (:project_id, :name, :annotation_name, :evaluator_id, :evaluator_version, :filter,
         :target, :sampling_rate, :delay_seconds, :quiet_seconds, :input_mapping,
         :max_tokens_per_day, :max_cost_per_day)
    ON CONFLICT (project_id, name) DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("project_id", type_=BigInteger), *_SETTINGS_PARAMETERS)

_UPDATE_RULE = text(
    """
    UPDATE evaluation_rules SET
        name = :name, annotation_name = :annotation_name, evaluator_id = :evaluator_id,
        evaluator_version = :evaluator_version, filter = :filter, target = :target,
        sampling_rate = :sampling_rate, delay_seconds = :delay_seconds,
        quiet_seconds = :quiet_seconds, input_mapping = :input_mapping,
        max_tokens_per_day = :max_tokens_per_day, max_cost_per_day = :max_cost_per_day,
        version = version + CASE WHEN :bump THEN 1 ELSE 0 END,
        updated_at = now()
    WHERE id = :rule_id
    """
).bindparams(
    bindparam("rule_id", type_=BigInteger), bindparam("bump", type_=Boolean), *_SETTINGS_PARAMETERS
)

_DELETE_RULE = text("DELETE FROM evaluation_rules WHERE id = :rule_id RETURNING id").bindparams(
    bindparam("rule_id", type_=BigInteger)
)

_PAUSE = text(
    """
    UPDATE evaluation_rules SET status = 'PAUSED', status_reason = :reason, updated_at = now()
    WHERE id = :rule_id RETURNING id
    """
).bindparams(bindparam("rule_id", type_=BigInteger), bindparam("reason", type_=Text))

_RESUME = text(
    """
    UPDATE evaluation_rules SET status = 'ACTIVE', status_reason = NULL, updated_at = now()
    WHERE id = :rule_id RETURNING id
    """
).bindparams(bindparam("rule_id", type_=BigInteger))


_SET_REQUESTER = text(
    "UPDATE evaluation_rules SET requested_by = :user_id WHERE id = :rule_id"
).bindparams(bindparam("rule_id", type_=BigInteger), bindparam("user_id", type_=BigInteger))


def _rule(row: Row[Any]) -> RuleRow:
    return RuleRow(**row._mapping)


async def get_rule(
    connection: AsyncConnection, rule_id: int, *, for_update: bool = False
) -> RuleRow | None:
    """The rule with row id ``rule_id``, or None; ``for_update`` locks it until the transaction
    ends (a change reads and writes it under the lock)."""
    statement = _LOCKED_RULE if for_update else _RULE
    row = (await connection.execute(statement, {"rule_id": rule_id})).first()
    return None if row is None else _rule(row)


async def list_rules(
    connection: AsyncConnection, project_id: int, start: int | None, fetch: int
) -> list[RuleRow]:
    """Up to ``fetch`` of the project's rules, newest first, from row id ``start`` down."""
    values = {"project_id": project_id, "start": page_start(start), "fetch": fetch}
    return [_rule(row) for row in await connection.execute(_LIST_RULES, values)]


async def list_project_rules(
    connection: AsyncConnection, project_id: int, limit: int
) -> list[RuleRow]:
    """The project's rules, oldest first, at most ``limit``."""
    values = {"project_id": project_id, "limit": limit}
    return [_rule(row) for row in await connection.execute(_PROJECT_RULES, values)]


async def create_rule(
    connection: AsyncConnection, project_id: int, settings: RuleSettings
) -> RuleRow | None:
    """Create a rule of the project (version 1, active); None if the project has a rule of that
    name already. The caller keeps the evaluator from going meanwhile
    (``evaluators.share_evaluator``)."""
    values = {"project_id": project_id, **asdict(settings)}
    rule_id = (await connection.execute(_INSERT_RULE, values)).scalar_one_or_none()
    return None if rule_id is None else await get_rule(connection, rule_id)


async def update_rule(
    connection: AsyncConnection, rule_id: int, settings: RuleSettings, *, bump: bool
) -> RuleRow | None:
    """Write the rule's settings (read under :func:`get_rule`'s lock), a new version if
    ``bump``; None if another rule of its project has the new name."""
    values = {"rule_id": rule_id, "bump": bump, **asdict(settings)}
    try:
        async with connection.begin_nested():
            await connection.execute(_UPDATE_RULE, values)
    except IntegrityError:
        return None  # the unique (project_id, name): the savepoint undid the update
    return await get_rule(connection, rule_id)


async def set_rule_requester(
    connection: AsyncConnection, rule_id: int, user_id: int | None
) -> None:
    """Run the rule on behalf of user ``user_id`` from now on (who made, changed or resumed
    it; None with auth off): its jobs stop when that user may no longer write."""
    await connection.execute(_SET_REQUESTER, {"rule_id": rule_id, "user_id": user_id})


async def delete_rule(connection: AsyncConnection, rule_id: int) -> bool:
    """Delete the rule with its jobs and counts (the scores it wrote stay); False if none."""
    return (await connection.execute(_DELETE_RULE, {"rule_id": rule_id})).first() is not None


async def pause_rule(connection: AsyncConnection, rule_id: int, reason: str) -> bool:
    """Pause the rule (or change a pause's reason); False if there is no such rule."""
    values = {"rule_id": rule_id, "reason": reason}
    return (await connection.execute(_PAUSE, values)).first() is not None


async def resume_rule(connection: AsyncConnection, rule_id: int) -> bool:
    """Make the rule active again, its pause's reason cleared; False if there is no such rule.
    (Its parked jobs: ``spyglass_db.evaluation_jobs.unpark_rule_jobs``.)"""
    return (await connection.execute(_RESUME, {"rule_id": rule_id})).first() is not None
