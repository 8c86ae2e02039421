"""Ordinary evaluators in the sandbox: values come back, failures come back with a reason (and a
line), and one evaluation's failure is never another's."""

from __future__ import annotations

import asyncio
import math

import pytest

from spyglass_sandbox import DEFAULT_MODULES, FailureKind, Limits, Sandbox

from .conftest import assert_healthy

pytestmark = pytest.mark.asyncio(loop_scope="module")

MATCHER = """
import re, json, math, statistics, difflib, datetime, decimal, hashlib, unicodedata

def evaluate(output, expected, metadata=None):
    words = re.findall(r"\\w+", output.lower())
    ratio = difflib.SequenceMatcher(None, output, expected).ratio()
    when = datetime.datetime.strptime(metadata["day"], "%Y-%m-%d").date().isoformat()
    return {
        "score": round(ratio, 3),
        "label": "match" if output == expected else "different",
        "words": words,
        "mean_length": statistics.mean(len(word) for word in words),
        "root": math.sqrt(16),
        "total": str(decimal.Decimal("0.1") * 3),
        "digest": hashlib.sha256(output.encode()).hexdigest()[:8],
        "parsed": json.loads(metadata["json"]),
        "name": unicodedata.name("é"),
        "day": when,
        "latin1": "café".encode("latin-1").decode("latin-1"),
    }
"""


async def test_an_evaluator_using_the_allowed_modules_returns_its_value(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        MATCHER,
        arguments={
            "output": "Paris is the capital",
            "expected": "Paris is the capital",
            "metadata": {"day": "2024-02-29", "json": '{"a": [1, 2]}'},
            "reference": "not a parameter of evaluate(): left out",
        },
    )
    assert outcome.ok, (outcome.reason, outcome.failure and outcome.failure.traceback)
    assert outcome.value == {
        "score": 1.0,
        "label": "match",
        "words": ["paris", "is", "the", "capital"],
        "mean_length": 4.25,
        "root": 4.0,
        "total": "0.3",
        "digest": outcome.value["digest"],
        "parsed": {"a": [1, 2]},
        "name": "LATIN SMALL LETTER E WITH ACUTE",
        "day": "2024-02-29",
        "latin1": "café",
    }
    assert outcome.cpu_seconds > 0
    assert outcome.duration_seconds > 0


async def test_every_allowed_module_imports(sandbox: Sandbox) -> None:
    imports = "\n".join(f"import {name}" for name in DEFAULT_MODULES)
    outcome = await sandbox.run(imports + "\n\ndef evaluate():\n    return 'ok'\n")
    assert outcome.value == "ok", outcome.reason


async def test_other_modules_are_refused_with_the_list_of_allowed_ones(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("import os\n\ndef evaluate():\n    return os.getcwd()\n")
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        "raised ImportError: import of 'os' is not allowed in evaluators"
    )
    assert "json" in outcome.reason
    assert outcome.failure is not None and outcome.failure.line == 1


async def test_raising_code_reports_the_exception_and_its_line(sandbox: Sandbox) -> None:
    code = (
        "def helper(x):\n"
        "    return 1 / x\n"
        "\n"
        "def evaluate(output):\n"
        "    return helper(len(output))\n"
    )
    outcome = await sandbox.run(code, arguments={"output": ""})
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.RAISED
    assert outcome.reason == "raised ZeroDivisionError: division by zero (line 2)"
    assert outcome.failure.line == 2
    traceback = outcome.failure.traceback or ""
    assert 'File "<evaluator>", line 5, in evaluate' in traceback
    assert "return 1 / x" in traceback
    assert "spyglass_sandbox" not in traceback  # the platform's own frames are not shown


async def test_code_raising_at_import_reports_its_line(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("x = {}\ny = x['missing']\n\ndef evaluate():\n    return 1\n")
    assert outcome.reason == "raised KeyError: 'missing' (line 2)"


async def test_an_exception_whose_message_cannot_be_formatted_still_has_a_reason(
    sandbox: Sandbox,
) -> None:
    code = (
        "class Weird(Exception):\n"
        "    def __str__(self):\n"
        "        raise RuntimeError('no')\n\n"
        "def evaluate():\n"
        "    raise Weird()\n"
    )
    outcome = await sandbox.run(code)
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        "raised Weird: <the exception's message could not be formatted>"
    )


async def test_sys_exit_is_a_failure_not_a_crash(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def evaluate():\n    raise SystemExit(3)\n")
    assert outcome.reason == "raised SystemExit: 3 (line 2)"


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (
            "{1, 2}",
            "returned a value that is not JSON: Object of type set is not JSON serializable",
        ),
        (
            "float('nan')",
            "returned a value that is not JSON: Out of range float values are not JSON compliant",
        ),
        (
            "object()",
            "returned a value that is not JSON: Object of type object is not JSON serializable",
        ),
        (
            "b'bytes'",
            "returned a value that is not JSON: Object of type bytes is not JSON serializable",
        ),
    ],
)
async def test_a_value_json_cannot_carry_is_reported(
    sandbox: Sandbox, returned: str, reason: str
) -> None:
    outcome = await sandbox.run(f"def evaluate():\n    return {returned}\n")
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.NOT_JSON
    assert outcome.reason == reason


async def test_a_self_referencing_value_is_reported_not_json(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def evaluate():\n    x = []\n    x.append(x)\n    return x\n")
    assert outcome.reason == "returned a value that is not JSON: Circular reference detected"


async def test_json_values_of_every_kind_come_back_intact(sandbox: Sandbox) -> None:
    value = {
        "n": None,
        "b": True,
        "i": -(2**70),
        "f": 0.1,
        "s": "é\u2603\U0001f600",
        "l": [1, [2, {}]],
    }
    outcome = await sandbox.run(
        "def evaluate(value):\n    return value\n", arguments={"value": value}
    )
    assert outcome.value == value


async def test_lone_surrogates_in_a_returned_string_survive_the_trip(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def evaluate():\n    return 'a\\ud800b'\n")
    assert outcome.value == "a\ud800b"


async def test_a_result_many_pipe_buffers_long_arrives_whole(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate(n):\n    return ['x' * 1000] * n\n", arguments={"n": 900}
    )
    assert outcome.value == ["x" * 1000] * 900


async def test_arguments_many_pipe_buffers_long_arrive_whole(sandbox: Sandbox) -> None:
    text = "é" * 1_500_000
    outcome = await sandbox.run(
        "def evaluate(output):\n    return len(output)\n", arguments={"output": text}
    )
    assert outcome.value == len(text)


async def test_output_over_the_limit_is_refused(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate():\n    return 'x' * 5000\n", limits=Limits(output_bytes=4096)
    )
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.OUTPUT_TOO_LARGE
    assert outcome.reason == "output larger than 4096 bytes"


async def test_printed_text_is_kept_and_cut(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate():\n    print('checking', 1)\n    print('x' * 20000)\n    return 1\n"
    )
    assert outcome.value == 1
    assert outcome.printed.startswith("checking 1\nxxx")
    assert outcome.printed.endswith("[output cut]")
    assert len(outcome.printed) < 17_000


async def test_compile_errors_give_the_line(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("import json\n\ndef evaluate(output:\n    return 1\n")
    assert outcome.failure is not None
    assert outcome.failure.kind is FailureKind.COMPILE_ERROR
    assert outcome.failure.line == 3
    assert outcome.reason is not None and outcome.reason.startswith("does not compile: ")
    assert "(line 3, column " in outcome.reason


async def test_a_missing_entry_function_is_reported(sandbox: Sandbox) -> None:
    outcome = await sandbox.run("def score():\n    return 1\n")
    assert outcome.failure is not None and outcome.failure.kind is FailureKind.NO_ENTRY
    assert outcome.reason == "defines no function named 'evaluate'"
    assert (await sandbox.run("def score():\n    return 1\n", entry="score")).value == 1


async def test_a_parameter_no_argument_fills_is_reported_with_the_arguments(
    sandbox: Sandbox,
) -> None:
    outcome = await sandbox.run(
        "def evaluate(output, label):\n    return 1\n", arguments={"output": "x"}
    )
    assert outcome.failure is not None and outcome.failure.kind is FailureKind.BAD_ARGUMENTS
    assert (
        outcome.reason
        == "evaluate() needs an argument 'label' that is not given (arguments: output)"
    )


async def test_keyword_catch_all_receives_every_argument(sandbox: Sandbox) -> None:
    outcome = await sandbox.run(
        "def evaluate(output, **rest):\n    return sorted(rest)\n",
        arguments={"output": "o", "input": "i", "expected": "e"},
    )
    assert outcome.value == ["expected", "input"]


async def test_arguments_must_be_json(sandbox: Sandbox) -> None:
    with pytest.raises(TypeError, match="must be JSON values"):
        await sandbox.run("def evaluate(x):\n    return x\n", arguments={"x": {1, 2}})
    with pytest.raises(TypeError, match="must be JSON values"):
        await sandbox.run("def evaluate(x):\n    return x\n", arguments={"x": math.inf})


async def test_random_numbers_differ_between_evaluations(sandbox: Sandbox) -> None:
    code = "import random\n\ndef evaluate():\n    return random.random()\n"
    values = {(await sandbox.run(code)).value for _ in range(3)}
    assert len(values) == 3  # each child reseeds; none replays the server's state


async def test_many_evaluations_in_parallel_each_get_their_own_answer(sandbox: Sandbox) -> None:
    code = (
        "import hashlib\n"
        "\n"
        "def evaluate(n):\n"
        "    return [n, hashlib.md5(str(n).encode()).hexdigest()]\n"
    )
    outcomes = await asyncio.gather(*(sandbox.run(code, arguments={"n": n}) for n in range(48)))
    assert [outcome.value[0] for outcome in outcomes] == list(range(48))
    assert all(outcome.ok for outcome in outcomes)


async def test_failing_neighbours_harm_nothing_else(sandbox: Sandbox) -> None:
    good = "def evaluate(n):\n    return n * n\n"
    bad = [
        ("def evaluate(n):\n    while True:\n        pass\n", FailureKind.CPU_LIMIT),
        ("def evaluate(n):\n    return bytearray(2 ** 33)\n", FailureKind.MEMORY_LIMIT),
        ("import time\n\ndef evaluate(n):\n    time.sleep(60)\n", FailureKind.TIMEOUT),
        ("def evaluate(n):\n    return 1 / 0\n", FailureKind.RAISED),
    ]
    limits = Limits(cpu_seconds=1, wall_seconds=3)
    runs = [sandbox.run(code, arguments={"n": 0}, limits=limits) for code, _ in bad]
    runs += [sandbox.run(good, arguments={"n": n}) for n in range(12)]
    outcomes = await asyncio.gather(*runs)
    # The CPU hog may be stopped by either clock on a busy machine.
    assert outcomes[0].failure is not None
    assert outcomes[0].failure.kind in (FailureKind.CPU_LIMIT, FailureKind.TIMEOUT)
    assert [outcome.failure.kind for outcome in outcomes[1:4] if outcome.failure] == [
        kind for _, kind in bad[1:]
    ]
    assert [outcome.value for outcome in outcomes[4:]] == [n * n for n in range(12)]
    await assert_healthy(sandbox)
