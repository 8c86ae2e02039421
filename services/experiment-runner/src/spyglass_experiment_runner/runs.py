"""Running a chunk of an experiment job: one provider call per (example, repetition), each
traced and written as a run exactly once.

Exactly once, whatever dies: a chunk task is acknowledged only after it returns (late ack),
so a chunk whose worker died is run again by another worker; it first reads which of its pairs
already have a successful run and skips them, and a run is written with ``INSERT ... ON
CONFLICT DO UPDATE ... WHERE error IS NOT NULL`` (a successful run is never written twice,
a failed one is replaced by its retry). A run's span is exported before the run is written,
so a written run's trace link never dangles for lack of a span.

What each call's error does (``spyglass_llm.errors``):

* 429: the shared limit hears of it (``spyglass_llm.ratelimit``); the call waits its ``Retry-After``
  without holding a slot and is tried again (up to :data:`MAX_RATE_LIMITED_TRIES`).
* 5xx, timeout, lost connection: tried again after a backoff, up to ``max_attempts``; then
  the run is stored failed.
* credential rejected or missing: the job pauses with the reason and nothing more is called;
  the run is not written (a resume runs it).
* unknown model, any other 4xx, a missing variable: the run is stored failed with the reason.

``failures_to_pause`` failed runs in a row (over every worker) pause the job with the last
error as its reason: a broken provider costs twenty failed runs, not ten thousand.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry.trace import Span, Status, StatusCode
from sqlalchemy import text

from spyglass_auth import requester_problem
from spyglass_core.logging import get_logger
from spyglass_db.experiment_jobs import (
    JobRow,
    complete_job_if_done,
    get_job,
    list_example_inputs,
    pause_job,
)
from spyglass_db.experiment_runs import CREATE_RUN_ON_DRIVER
from spyglass_experiment_runner.resources import RunnerResources
from spyglass_llm.chat import ChatRequest, Completion
from spyglass_llm.errors import (
    CredentialRejected,
    MissingCredential,
    ProviderError,
    RateLimited,
    TransientProviderError,
)
from spyglass_llm.runnable import RunnablePrompt
from spyglass_llm.templates import TemplateError

log = get_logger(__name__)

MAX_RATE_LIMITED_TRIES = 50
"""429s one run takes before it is stored failed (each waited out)."""
DEFAULT_RETRY_AFTER = 1.0
"""Seconds a 429 without ``Retry-After`` waits."""
MAX_RETRY_AFTER = 60.0
GUARD_SECONDS = 1.0
"""How stale a chunk's view of its job's status may be (a pause or cancel takes this long)."""

Item = tuple[int, int]
"""(dataset example id, repetition number)."""

_PROJECT_OF_EXPERIMENT = text("SELECT project_name FROM experiments WHERE id = :experiment_id")


@dataclass(frozen=True)
class ChunkOutcome:
    """What a chunk did: runs written (succeeded, failed) and pairs left for another chunk."""

    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    leftover: list[Item] = field(default_factory=list)
    stopped: str | None = None
    """Why it stopped early (the job is no longer running this epoch), if it did."""


class JobGuard:
    """A chunk's view of its job, read again at most every :data:`GUARD_SECONDS`."""

    def __init__(self, resources: RunnerResources, job: JobRow) -> None:
        self._resources = resources
        self.job = job
        self._read_at = time.monotonic()
        self._reading: asyncio.Lock = asyncio.Lock()
        self.stopped: str | None = None

    async def running(self) -> bool:
        """Whether the job still runs the chunk's epoch."""
        if self.stopped is not None:
            return False
        if time.monotonic() - self._read_at >= GUARD_SECONDS:
            async with self._reading:
                if time.monotonic() - self._read_at >= GUARD_SECONDS:
                    async with self._resources.engine.connect() as connection:
                        job = await get_job(connection, self.job.id)
                    self._read_at = time.monotonic()
                    if job is None:
                        self.stopped = "deleted"
                    elif job.status != "RUNNING" or job.epoch != self.job.epoch:
                        self.stopped = job.status.lower()
        return self.stopped is None

    async def pause(self, reason: str) -> None:
        """Pause the job (this epoch) with ``reason``; every chunk of it stops."""
        async with self._resources.engine.begin() as connection:
            paused = await pause_job(connection, self.job.id, self.job.epoch, reason)
        if paused:
            log.warning("experiment_job_paused", job_id=self.job.id, reason=reason)
        self.stopped = "paused"


class _JobStoppedError(Exception):
    """The job stopped running this epoch: leave the pair to a resume."""


async def run_chunk(
    resources: RunnerResources, job_id: int, epoch: int, items: list[Item]
) -> ChunkOutcome:
    """Run ``items`` of the job's ``epoch`` (see the module docstring)."""
    async with resources.engine.connect() as connection:
        job = await get_job(connection, job_id)
        if job is None or job.status != "RUNNING" or job.epoch != epoch:
            return ChunkOutcome(stopped="not running")
        inputs = await list_example_inputs(
            connection, job.experiment_id, sorted({example for example, _ in items})
        )
        project = await connection.scalar(
            _PROJECT_OF_EXPERIMENT, {"experiment_id": job.experiment_id}
        )
        refused = await requester_problem(connection, job.requested_by)
    if refused is not None:
        await JobGuard(resources, job).pause(refused)
        return ChunkOutcome(stopped="paused")
    prompt = RunnablePrompt.model_validate(job.task)
    # Credentials are cached for seconds; a chunk reads them afresh, so that a key replaced
    # before a resume is the one the resumed job uses.
    resources.credentials.invalidate()
    guard = JobGuard(resources, job)
    settings = resources.settings
    deadline = time.monotonic() + settings.chunk_seconds
    todo = [
        (example, repetition)
        for example, repetition in items
        if example in inputs and repetition not in inputs[example][1]
    ]
    counts = {"succeeded": 0, "failed": 0}
    leftover: list[Item] = []

    async def one(item: Item) -> None:
        example, repetition = item
        if time.monotonic() > deadline:
            leftover.append(item)
            return
        try:
            ok = await _run_one(
                resources,
                guard,
                prompt,
                str(project),
                job,
                example,
                repetition,
                inputs[example][0],
            )
        except _JobStoppedError:
            return
        counts["succeeded" if ok else "failed"] += 1

    try:
        # A failure that ends the chunk (the database lost) cancels its other calls, so none
        # goes on calling the provider for a chunk that is retried anyway.
        async with asyncio.TaskGroup() as group:
            for item in todo:
                group.create_task(one(item))
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from failures
    if guard.stopped is None and not leftover:
        async with resources.engine.begin() as connection:
            if await complete_job_if_done(connection, job_id, epoch):
                log.info("experiment_job_completed", job_id=job_id, epoch=epoch)
    return ChunkOutcome(
        counts["succeeded"],
        counts["failed"],
        len(items) - len(todo),
        leftover,
        guard.stopped,
    )


async def _run_one(
    resources: RunnerResources,
    guard: JobGuard,
    prompt: RunnablePrompt,
    project: str,
    job: JobRow,
    example: int,
    repetition: int,
    example_input: Any,
) -> bool:
    """Call, trace and write one run; whether it succeeded.

    Raises:
        _JobStoppedError: the job stopped (or this call stopped it): nothing was written.
    """
    variables = example_input if isinstance(example_input, dict) else {"input": example_input}
    tracer = resources.tracing.tracer(project)
    start = datetime.now(UTC)
    completion: Completion | None = None
    error: str | None = None
    # Ended (and so exported) only when a run is written for it: a call the job's stop
    # interrupts leaves no span.
    span = tracer.start_span("ChatCompletion")
    try:
        request = prompt.request(variables)
        _describe_request(span, request)
        completion = await _call_with_retries(resources, guard, request)
    except TemplateError as problem:
        error = str(problem)
    except ProviderError as problem:
        error = str(problem)
    end = datetime.now(UTC)
    if completion is not None:
        _describe_completion(span, completion)
        span.set_status(Status(StatusCode.OK))
    else:
        span.set_status(Status(StatusCode.ERROR, error))
    span.end()
    trace_id = format(span.get_span_context().trace_id, "032x")
    usage = completion.usage if completion is not None else None
    values = {
        "experiment_id": job.experiment_id,
        "example_id": example,
        "repetition_number": repetition,
        "trace_id": trace_id,
        "output": orjson.dumps({"task_output": _output(completion)}).decode(),
        "start_time": start,
        "end_time": end,
        "error": error,
        "prompt_token_count": usage.prompt_tokens if usage else None,
        "completion_token_count": usage.completion_tokens if usage else None,
    }
    await resources.sink.write(lambda: CREATE_RUN_ON_DRIVER.fetchval(resources.statements, values))
    if error is None:
        return True
    streak = await resources.streak.failed(_streak_subject(job))
    if streak >= resources.settings.failures_to_pause:
        await guard.pause(f"paused after {streak} runs failed in a row; last error: {error}")
    return False


async def _call_with_retries(
    resources: RunnerResources, guard: JobGuard, request: ChatRequest
) -> Completion:
    """The provider's answer, through the shared limit, retried as the module says; its
    success resets the job's failure streak.

    Raises:
        _JobStoppedError: the job stopped, or a rejected or missing credential paused it.
        ProviderError: the last error, once the run is to be stored failed.
    """
    settings = resources.settings
    attempts = 0
    limited = 0
    while True:
        if not await guard.running():
            raise _JobStoppedError
        try:
            credentials = await resources.credentials.resolve(request.provider)
        except MissingCredential as problem:
            await guard.pause(str(problem))
            raise _JobStoppedError from problem
        key = resources.limiter.key(credentials.fingerprint, request.provider, request.model)
        try:
            async with resources.calls:
                # Checked again once a slot is free: a call that waited for one while the job
                # was paused or cancelled must not start.
                if not await guard.running():
                    raise _JobStoppedError
                await resources.limiter.wait_for_permit(key)
                if not await guard.running():
                    raise _JobStoppedError
                completion = await resources.llm.complete(
                    request, credentials, timeout=settings.call_timeout_seconds
                )
        except RateLimited as problem:
            limited += 1
            wait = min(problem.retry_after or DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER)
            await resources.limiter.report(key, limited=True, retry_after=wait)
            if limited >= MAX_RATE_LIMITED_TRIES:
                raise
            await asyncio.sleep(wait)
            continue
        except TransientProviderError:
            await resources.limiter.report(key, limited=False)
            attempts += 1
            if attempts >= settings.max_attempts:
                raise
            await asyncio.sleep(_backoff(attempts))
            continue
        except CredentialRejected as problem:
            await guard.pause(str(problem))
            raise _JobStoppedError from problem
        await resources.limiter.report(
            key, limited=False, streak=(resources.streak, _streak_subject(guard.job))
        )
        return completion


def _streak_subject(job: JobRow) -> str:
    """A job epoch's failure streak: a resumed job starts counting afresh."""
    return f"{job.id}:{job.epoch}"


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception of ``group`` that is not itself a group (what the task reports)."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 0.5, 1, 2, ... seconds (at most 10)."""
    return random.uniform(0, min(10.0, 0.5 * 2 ** (attempt - 1)))  # noqa: S311


def _output(completion: Completion | None) -> Any:
    """A run's output: the answer's text, or its text and tool calls when it called tools."""
    if completion is None:
        return None
    if not completion.tool_calls:
        return completion.text
    return {
        "content": completion.text,
        "tool_calls": [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in completion.tool_calls
        ],
    }


def _describe_request(span: Span, request: ChatRequest) -> None:
    """OpenInference attributes of an LLM call's request."""
    span.set_attribute("openinference.span.kind", "LLM")
    span.set_attribute("llm.provider", request.provider.value.lower())
    span.set_attribute("llm.model_name", request.model)
    span.set_attribute(
        "llm.invocation_parameters", orjson.dumps(request.invocation_parameters).decode()
    )
    for index, message in enumerate(request.messages):
        prefix = f"llm.input_messages.{index}.message"
        span.set_attribute(f"{prefix}.role", message.normalized_role)
        span.set_attribute(f"{prefix}.content", message.text)
    span.set_attribute(
        "input.value",
        orjson.dumps(
            {"messages": [message.model_dump(mode="json") for message in request.messages]}
        ).decode(),
    )
    span.set_attribute("input.mime_type", "application/json")


def _describe_completion(span: Span, completion: Completion) -> None:
    """OpenInference attributes of an LLM call's answer."""
    span.set_attribute("llm.output_messages.0.message.role", "assistant")
    span.set_attribute("llm.output_messages.0.message.content", completion.text)
    for index, call in enumerate(completion.tool_calls):
        prefix = f"llm.output_messages.0.message.tool_calls.{index}.tool_call"
        span.set_attribute(f"{prefix}.id", call.id)
        span.set_attribute(f"{prefix}.function.name", call.name)
        span.set_attribute(f"{prefix}.function.arguments", call.arguments)
    span.set_attribute("output.value", completion.text)
    span.set_attribute("output.mime_type", "text/plain")
    if completion.usage is not None:
        span.set_attribute("llm.token_count.prompt", completion.usage.prompt_tokens)
        span.set_attribute("llm.token_count.completion", completion.usage.completion_tokens)
        span.set_attribute("llm.token_count.total", completion.usage.total_tokens)
