"""Online evaluation rules: which stored spans each rule matches, and which of those it samples.

Matching is the filter language (:mod:`spyglass_db.filters`) compiled once per rule, the very
code the UI and REST filters use, so a rule matches exactly what its filter shows in the span
table. The spans of one ``spans.stored`` announcement are matched against every active rule of
their project in one statement (one boolean column per rule).

Sampling is a pure function of an id: the id's hash, read as a number in [0, 1), is compared
with the rate, so a decision can be explained at any time without having been stored, a
redelivered span gets the same decision, and a rule at 5% samples a subset of what one at 10%
samples. A span rule samples by the span's *trace* id: a sampled trace has every matching span
scored, and two rules at one rate score the same traces (their scores can be compared).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Date, Text

from spyglass_db.filters import SqlCondition, compile_span_filter

_SCALE = float(2**64)


def sample_draw(key: str) -> float:
    """The number in [0, 1) that ``key`` draws (the same on every machine, for ever)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def is_sampled(key: str, rate: float) -> bool:
    """Whether a target keyed ``key`` is sampled at ``rate`` (0: none; 1: all)."""
    return rate >= 1.0 or sample_draw(key) < rate


def sampling_key(target: str, trace_id: str, session_id: str | None) -> str | None:
    """The id a rule of ``target`` samples a span by: its trace's (SPAN and TRACE rules), its
    session's (SESSION rules; None if the span has no session: such a rule skips it)."""
    if target == "SESSION":
        return session_id or None
    return trace_id


@dataclass(frozen=True)
class ActiveRule:
    """An active rule as the dispatcher applies it."""

    id: int
    version: int
    project_id: int
    project_name: str
    target: str
    filter: str
    sampling_rate: float
    delay_seconds: float
    quiet_seconds: float
    evaluator_version_id: int | None
    """The evaluator version its jobs record now (the rule's pinned one, else the latest)."""
    capped: bool = False
    """Whether it has a daily token or cost cap (its spend is read only then)."""


_ACTIVE_RULES = text(
    """
    SELECT r.id, r.version, r.project_id, p.name AS project_name, r.target, r.filter,
        r.sampling_rate, r.delay_seconds, r.quiet_seconds,
        (SELECT v.id FROM evaluator_versions AS v
         WHERE v.evaluator_id = r.evaluator_id
           AND (r.evaluator_version IS NULL OR v.version = r.evaluator_version)
         ORDER BY v.version DESC LIMIT 1) AS evaluator_version_id,
        (r.max_tokens_per_day IS NOT NULL OR r.max_cost_per_day IS NOT NULL) AS capped
    FROM evaluation_rules AS r
    JOIN projects AS p ON p.id = r.project_id
    WHERE r.status = 'ACTIVE' AND (:every OR p.name = ANY(:project_names))
    ORDER BY r.id
    """
).bindparams(bindparam("project_names", type_=ARRAY(Text())))


async def active_rules(
    connection: AsyncConnection, project_names: Sequence[str] | None = None
) -> list[ActiveRule]:
    """The active rules of the projects named (None: of every project)."""
    result = await connection.execute(
        _ACTIVE_RULES,
        {"every": project_names is None, "project_names": list(project_names or [])},
    )
    return [
        ActiveRule(
            id=int(row.id),
            version=int(row.version),
            project_id=int(row.project_id),
            project_name=str(row.project_name),
            target=str(row.target),
            filter=str(row.filter),
            sampling_rate=float(row.sampling_rate),
            delay_seconds=float(row.delay_seconds),
            quiet_seconds=float(row.quiet_seconds),
            evaluator_version_id=row.evaluator_version_id,
            capped=bool(row.capped),
        )
        for row in result
    ]


@dataclass(frozen=True)
class MatchedSpan:
    """A stored span and the rules (by id) whose filters it matches."""

    trace_id: str
    span_id: str
    session_id: str | None
    start_time: datetime
    end_time: datetime
    rule_ids: tuple[int, ...]


def rule_condition(rule_id: int, expression: str) -> SqlCondition:
    """A rule's filter as SQL on ``spans AS s`` (parameters prefixed by the rule's id).

    Raises:
        FilterExpressionError: the filter is not in the language (position and reason).
    """
    return compile_span_filter(expression, span="s", prefix=f"r{rule_id}_")


async def match_spans(
    connection: AsyncConnection,
    project_id: int,
    spans: Sequence[tuple[str, str]],
    conditions: dict[int, SqlCondition],
) -> list[MatchedSpan]:
    """Which of ``spans`` ((trace id, span id) of one project) each rule's condition matches;
    spans no rule matches are left out, as are spans not (or no longer) stored."""
    if not spans or not conditions:
        return []
    columns = ",\n        ".join(
        f"({condition.sql}) AS r{rule_id}" for rule_id, condition in conditions.items()
    )
    parameters: dict[str, object] = {
        "project_id": project_id,
        "trace_ids": [trace for trace, _ in spans],
        "span_ids": [span for _, span in spans],
    }
    for condition in conditions.values():
        parameters.update(condition.parameters)
    statement = text(
        f"""
        SELECT t.trace_id, s.span_id, ps.session_id, s.start_time, s.end_time,
            {columns}
        FROM unnest(CAST(:trace_ids AS text[]), CAST(:span_ids AS text[]))
            AS k(trace_id, span_id)
        JOIN traces AS t ON t.trace_id = k.trace_id AND t.project_rowid = :project_id
        JOIN spans AS s ON s.span_id = k.span_id AND s.trace_rowid = t.id
        LEFT JOIN project_sessions AS ps ON ps.id = t.project_session_rowid
        """
    )
    matched: list[MatchedSpan] = []
    for row in await connection.execute(statement, parameters):
        mapping = row._mapping
        rule_ids = tuple(rule_id for rule_id in conditions if mapping[f"r{rule_id}"])
        if rule_ids:
            matched.append(
                MatchedSpan(
                    trace_id=str(row.trace_id),
                    span_id=str(row.span_id),
                    session_id=row.session_id,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    rule_ids=rule_ids,
                )
            )
    return matched


@dataclass(frozen=True)
class Spend:
    """A rule's spend today against its caps."""

    tokens: int
    cost: float
    max_tokens: int | None
    max_cost: float | None

    def over(self) -> str | None:
        """Why the rule may spend no more today, or None."""
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"over the rule's daily cap of {self.max_tokens} tokens ({self.tokens} spent)"
        if self.max_cost is not None and self.cost >= self.max_cost:
            return f"over the rule's daily cap of ${self.max_cost:g} (${self.cost:.4f} spent)"
        return None


_SPEND = text(
    """
    SELECT r.id, r.max_tokens_per_day, r.max_cost_per_day,
        coalesce(s.tokens, 0) AS tokens, coalesce(s.cost, 0) AS cost
    FROM evaluation_rules AS r
    LEFT JOIN evaluation_rule_spend AS s ON s.rule_id = r.id AND s.day = :day
    WHERE r.id = ANY(:rule_ids)
    """
).bindparams(bindparam("rule_ids", type_=ARRAY(BigInteger())), bindparam("day", type_=Date()))


async def rule_spend(
    connection: AsyncConnection, rule_ids: Sequence[int], day: date
) -> dict[int, Spend]:
    """Each rule's spend on ``day`` and its caps."""
    result = await connection.execute(_SPEND, {"rule_ids": list(rule_ids), "day": day})
    return {
        int(row.id): Spend(
            int(row.tokens), float(row.cost), row.max_tokens_per_day, row.max_cost_per_day
        )
        for row in result
    }


_ADD_SPEND = text(
    """
    INSERT INTO evaluation_rule_spend AS s (rule_id, day, tokens, cost)
    VALUES (:rule_id, :day, :tokens, :cost)
    ON CONFLICT (rule_id, day) DO UPDATE SET
        tokens = s.tokens + excluded.tokens, cost = s.cost + excluded.cost
    """
).bindparams(bindparam("day", type_=Date()))


async def add_rule_spend(
    connection: AsyncConnection, rule_id: int, day: date, tokens: int, cost: float
) -> None:
    """Add what one evaluation of rule ``rule_id`` spent to its ``day``."""
    await connection.execute(
        _ADD_SPEND, {"rule_id": rule_id, "day": day, "tokens": tokens, "cost": cost}
    )


_PAUSE = text(
    """
    UPDATE evaluation_rules SET status = 'PAUSED', status_reason = :reason, updated_at = now()
    WHERE id = :rule_id AND status = 'ACTIVE'
    """
)


async def pause_rule(connection: AsyncConnection, rule_id: int, reason: str) -> bool:
    """Pause an active rule with ``reason`` (its version stays: a resume runs its parked
    jobs); False if it was not active."""
    result = await connection.execute(_PAUSE, {"rule_id": rule_id, "reason": reason})
    return bool(result.rowcount)
