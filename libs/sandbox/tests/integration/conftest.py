"""Fixtures for the sandbox's integration tests: real fork servers, real confined children."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from spyglass_sandbox import Sandbox, SandboxOutcome

REAL_IMPORT = '''
def real_import(name):
    """Reach the interpreter's own import from a builtin type's subclasses (the classic way out
    of a Python-level restriction): the kernel's layers, not the import guard, must stop what
    evaluator code does next."""
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "_wrap_close":
            sys = cls.__init__.__globals__["sys"]
            return sys.modules["builtins"].__import__(name, fromlist=["_"])
    raise RuntimeError("no way out found")

'''
"""Prepended to escape attempts (so their line numbers shift by PRELUDE_LINES)."""

PRELUDE_LINES = REAL_IMPORT.count("\n")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["auto", "off"])
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """One fork server per module and Landlock mode: ``auto`` (Landlock where the kernel has it,
    then a scratch directory is usable) and ``off`` (seccomp alone, no file at all)."""
    async with Sandbox(landlock=request.param, max_children=16) as started:
        yield started


def everything_shown(outcome: SandboxOutcome) -> str:
    """All an outcome shows a user, as one string to search for leaked secrets."""
    failure = outcome.failure
    return json.dumps(
        [
            outcome.value,
            outcome.printed,
            failure.reason if failure else None,
            failure.traceback if failure else None,
        ]
    )


async def assert_healthy(sandbox: Sandbox) -> None:
    """The worker's side after an attack: the same fork server still runs ordinary evaluators."""
    outcome = await sandbox.run(
        "import json\n\ndef evaluate(output):\n    return json.loads(output)['score'] * 2\n",
        arguments={"output": '{"score": 21}'},
    )
    assert outcome.value == 42, outcome.reason
