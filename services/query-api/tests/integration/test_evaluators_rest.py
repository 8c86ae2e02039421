"""Evaluators over ``/v1``: create, read, version, describe and delete them; test them before
saving (a built-in on a dataset example, code in the real sandbox, a judge through the fake
provider); attach them to datasets. Every refusal is a 4xx whose ``loc`` or message names the
field, and leaves nothing stored."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.fake_provider_fixtures import FakeProviderServer
from tests.support.trace_rows import create_project, create_span

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient

REGEX = {"kind": "BUILTIN", "evaluator": "regex", "config": {"pattern": r"order #\d+"}}
EXACT = {"kind": "BUILTIN", "evaluator": "exact_match", "config": {}}
JUDGE = {"kind": "LLM", "judge": "correctness", "provider": "OPENAI", "model": "gpt-4o-mini"}


def gid(type_name: str, rowid: int) -> str:
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


def type_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[0]


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
def provider_environment(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProviderServer
) -> FakeProviderServer:
    """OpenAI's key and base URL (the fake's) in the environment the resolver reads."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-environment")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    return fake_provider


async def create(api: Client, name: str, definition: dict[str, Any], **fields: Any) -> Any:
    kind = definition.get("kind", fields.pop("kind", None))
    response = await api.post(
        "/v1/evaluators", json={"name": name, "kind": kind, "definition": definition, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def refusal(response: httpx.Response) -> tuple[list[str], str]:
    """The ``loc`` and message of a 422's first problem."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    return detail["loc"], detail["msg"]


async def tried(api: Client, body: dict[str, Any]) -> dict[str, Any]:
    """Answer of ``POST /v1/evaluators/test`` (200)."""
    response = await api.post("/v1/evaluators/test", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# Evaluators and versions ------------------------------------------------------------------------


async def test_an_evaluator_is_created_with_version_1_and_its_profile(api: Client) -> None:
    created = await create(api, "order-number", REGEX, description="finds order numbers")

    by_name = (await api.get("/v1/evaluators/order-number")).json()["data"]
    by_id = (await api.get(f"/v1/evaluators/{created['id']}")).json()["data"]

    assert type_of(created["id"]) == "Evaluator"
    assert (created["name"], created["kind"], created["version"]) == ("order-number", "BUILTIN", 1)
    assert created["definition"] == REGEX
    assert created["description"] == "finds order numbers"
    assert created["profile"] == {
        "inputs": ["output"],
        "choices": [{"label": "true", "score": 1.0}, {"label": "false", "score": 0.0}],
        "direction": "maximize",
    }
    assert by_name == by_id == created


async def test_the_kind_is_filled_into_a_definition_that_leaves_it_out(api: Client) -> None:
    definition = {"evaluator": "not_empty"}
    response = await api.post(
        "/v1/evaluators", json={"name": "filled", "kind": "BUILTIN", "definition": definition}
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["definition"] == {"kind": "BUILTIN", "evaluator": "not_empty"}


async def test_a_judge_and_code_say_what_they_read(api: Client) -> None:
    judge = await create(api, "correct", JUDGE)
    code = await create(
        api, "scorer", {"kind": "CODE", "code": "def evaluate(output):\n    return 1.0\n"}
    )

    assert judge["profile"] == {
        "inputs": ["input", "output"],
        "choices": [{"label": "correct", "score": 1.0}, {"label": "incorrect", "score": 0.0}],
        "direction": "maximize",
    }
    assert code["profile"] == {"inputs": None, "choices": None, "direction": "maximize"}


async def test_a_new_version_is_numbered_and_the_old_one_kept(api: Client) -> None:
    await create(api, "order-number", REGEX, note="first")
    changed = {**REGEX, "config": {"pattern": r"#\d{4}"}}

    added = await api.post(
        "/v1/evaluators/order-number/versions", json={"definition": changed, "note": "stricter"}
    )
    latest = (await api.get("/v1/evaluators/order-number")).json()["data"]
    versions = (await api.get("/v1/evaluators/order-number/versions")).json()
    first_page = (await api.get("/v1/evaluators/order-number/versions", params={"limit": 1})).json()
    second_page = (
        await api.get(
            "/v1/evaluators/order-number/versions",
            params={"limit": 1, "cursor": first_page["next_cursor"]},
        )
    ).json()

    assert added.status_code == 201, added.text
    assert (added.json()["data"]["version"], added.json()["data"]["note"]) == (2, "stricter")
    assert (latest["version"], latest["definition"], latest["note"]) == (2, changed, "stricter")
    assert [(v["version"], v["definition"]) for v in versions["data"]] == [(2, changed), (1, REGEX)]
    assert versions["next_cursor"] is None
    assert [v["version"] for v in first_page["data"]] == [2]
    assert [v["version"] for v in second_page["data"]] == [1]
    assert second_page["next_cursor"] is None


async def test_a_version_of_another_kind_is_refused(api: Client) -> None:
    await create(api, "order-number", REGEX)

    refused = await api.post(
        "/v1/evaluators/order-number/versions",
        json={"definition": {"kind": "CODE", "code": "def evaluate(output):\n    return 1\n"}},
    )

    loc, message = refusal(refused)
    assert loc == ["body", "definition", "kind"]
    assert "BUILTIN" in message
    versions = (await api.get("/v1/evaluators/order-number/versions")).json()["data"]
    assert len(versions) == 1


async def test_evaluators_list_newest_first_by_kind_and_page(api: Client) -> None:
    await create(api, "first", REGEX)
    await create(api, "second", JUDGE)
    await create(api, "third", EXACT)

    everything = (await api.get("/v1/evaluators")).json()
    builtins = (await api.get("/v1/evaluators", params={"kind": "BUILTIN"})).json()
    page = (await api.get("/v1/evaluators", params={"limit": 2})).json()
    rest = (await api.get("/v1/evaluators", params={"cursor": page["next_cursor"]})).json()
    bad_kind = await api.get("/v1/evaluators", params={"kind": "MAGIC"})
    bad_cursor = await api.get("/v1/evaluators", params={"cursor": gid("Prompt", 1)})

    assert [e["name"] for e in everything["data"]] == ["third", "second", "first"]
    assert [e["name"] for e in builtins["data"]] == ["third", "first"]
    assert [e["name"] for e in page["data"]] == ["third", "second"]
    assert [e["name"] for e in rest["data"]] == ["first"]
    assert refusal(bad_kind)[0] == ["query", "kind"]
    assert refusal(bad_cursor)[0] == ["query", "cursor"]


async def test_a_taken_name_is_409_and_names_are_identifiers(api: Client) -> None:
    await create(api, "order-number", REGEX)

    taken = await api.post(
        "/v1/evaluators", json={"name": "order-number", "kind": "BUILTIN", "definition": EXACT}
    )
    upper = await api.post(
        "/v1/evaluators", json={"name": "Order Number", "kind": "BUILTIN", "definition": EXACT}
    )
    reserved = await api.post(
        "/v1/evaluators", json={"name": "test", "kind": "BUILTIN", "definition": EXACT}
    )

    assert taken.status_code == 409
    assert taken.text == "An evaluator named order-number already exists"
    loc, message = refusal(upper)
    assert loc == ["body", "name"] and "lower-case" in message
    assert "reserved" in refusal(reserved)[1]
    assert [e["name"] for e in (await api.get("/v1/evaluators")).json()["data"]] == ["order-number"]


@pytest.mark.parametrize(
    ("definition", "loc", "words"),
    [
        (
            {"kind": "BUILTIN", "evaluator": "regex", "config": {"pattern": "(order"}},
            ["body", "definition", "config", "pattern"],
            ["position 6", "missing )"],
        ),
        (
            {"kind": "BUILTIN", "evaluator": "regx"},
            ["body", "definition", "evaluator"],
            ["no built-in evaluator is called 'regx'"],
        ),
        (
            {"kind": "CODE", "code": "def evaluate(output):\n    return output +\n"},
            ["body", "definition", "code"],
            ["line 2", "invalid syntax"],
        ),
        (
            {
                "kind": "LLM",
                "provider": "OPENAI",
                "model": "gpt-4o",
                "template": {
                    "name": "mine",
                    "messages": [{"role": "user", "content": "Is {{ouput}} polite?"}],
                    "choices": {"polite": 1, "rude": 0},
                },
            },
            ["body", "definition", "template"],
            ["unknown variable 'ouput'"],
        ),
        (
            {"kind": "LLM", "judge": "correctness", "provider": "OPENAI"},
            ["body", "definition", "model"],
            ["Field required"],
        ),
        (
            {
                "kind": "CODE",
                "code": "def evaluate(output):\n    return 1\n",
                "limits": {"cpu_seconds": 1e9},
            },
            ["body", "definition", "limits", "cpu_seconds"],
            ["less than or equal to 30"],
        ),
    ],
)
async def test_a_definition_that_cant_be_saved_is_422_naming_field_line_or_variable(
    api: Client, definition: dict[str, Any], loc: list[str], words: list[str]
) -> None:
    response = await api.post(
        "/v1/evaluators",
        json={"name": "broken", "kind": definition["kind"], "definition": definition},
    )

    got_loc, message = refusal(response)
    assert got_loc == loc
    for word in words:
        assert word in message
    assert message.startswith(f"`{'.'.join(loc[1:])}`")
    assert (await api.get("/v1/evaluators")).json()["data"] == []


async def test_the_description_changes_and_clears(api: Client) -> None:
    await create(api, "order-number", REGEX, description="old")

    changed = await api.patch("/v1/evaluators/order-number", json={"description": "new"})
    untouched = await api.patch("/v1/evaluators/order-number", json={})
    cleared = await api.patch("/v1/evaluators/order-number", json={"description": None})
    definition = await api.patch("/v1/evaluators/order-number", json={"definition": EXACT})

    assert changed.json()["data"]["description"] == "new"
    assert untouched.json()["data"]["description"] == "new"
    assert cleared.json()["data"]["description"] is None
    assert cleared.json()["data"]["version"] == 1
    assert refusal(definition)[0] == ["body", "definition"]


async def test_unknown_evaluators_are_404(api: Client) -> None:
    for response in [
        await api.get("/v1/evaluators/nothing"),
        await api.get(f"/v1/evaluators/{gid('Evaluator', 99)}"),
        await api.patch("/v1/evaluators/nothing", json={"description": "x"}),
        await api.delete("/v1/evaluators/nothing"),
        await api.get("/v1/evaluators/nothing/versions"),
        await api.post("/v1/evaluators/nothing/versions", json={"definition": REGEX}),
    ]:
        assert response.status_code == 404, response.text
        assert "Evaluator nothing not found" in response.text or "not found" in response.text


async def test_an_evaluator_a_rule_uses_cant_be_deleted_until_the_rule_goes(
    api: Client, connection: asyncpg.Connection
) -> None:
    await create_project(connection, "support")
    await create(api, "order-number", REGEX)
    rule = await api.post(
        "/v1/projects/support/evaluation_rules",
        json={"name": "orders", "evaluator": "order-number", "target": "SPAN", "sampling_rate": 1},
    )
    assert rule.status_code == 201, rule.text

    refused = await api.delete("/v1/evaluators/order-number")
    still_there = await api.get("/v1/evaluators/order-number")
    await api.delete(f"/v1/evaluation_rules/{rule.json()['data']['id']}")
    deleted = await api.delete("/v1/evaluators/order-number")
    gone = await api.get("/v1/evaluators/order-number")

    assert refused.status_code == 409
    assert "used by evaluation rules orders (project support)" in refused.text
    assert still_there.status_code == 200
    assert deleted.status_code == 204
    assert gone.status_code == 404


# Testing before saving --------------------------------------------------------------------------


async def _dataset_example(api: Client) -> str:
    upload = await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={
            "action": "create",
            "name": "capitals",
            "inputs": [{"question": "capital of France?"}],
            "outputs": [{"answer": "Paris"}],
            "metadata": [{"topic": "geography"}],
        },
    )
    assert upload.status_code == 200, upload.text
    dataset_id = upload.json()["data"]["dataset_id"]
    examples = (await api.get(f"/v1/datasets/{dataset_id}/examples")).json()["data"]
    node_id: str = examples["examples"][0]["node_id"]
    return node_id


async def test_a_builtin_tested_on_a_dataset_example_with_a_candidate_output(api: Client) -> None:
    example = await _dataset_example(api)
    body = {
        "definition": EXACT,
        "dataset_example_id": example,
        "input_mapping": {"expected": "expected.answer"},
    }

    right = await tried(api, {**body, "inputs": {"output": "Paris"}})
    wrong = await tried(api, {**body, "inputs": {"output": "Lyon"}})

    assert right["result"] == {
        "score": 1.0,
        "label": "true",
        "explanation": "the output matches the expected text",
        "metadata": {},
    }
    assert right["error"] is None
    assert right["inputs"]["expected"] == "Paris"
    assert right["inputs"]["input"] == {"question": "capital of France?"}
    assert right["inputs"]["metadata"] == {"topic": "geography"}
    assert (wrong["result"]["label"], wrong["result"]["score"]) == ("false", 0.0)


async def test_a_saved_evaluator_is_tested_at_its_latest_or_a_named_version(api: Client) -> None:
    await create(api, "order-number", REGEX)
    await api.post(
        "/v1/evaluators/order-number/versions",
        json={"definition": {**REGEX, "config": {"pattern": r"#\d{4}\b"}}},
    )
    inputs = {"output": "your order #12 shipped"}

    latest = await tried(api, {"evaluator": "order-number", "inputs": inputs})
    first = await tried(
        api, {"evaluator": "order-number", "evaluator_version": 1, "inputs": inputs}
    )
    no_version = await api.post(
        "/v1/evaluators/test",
        json={"evaluator": "order-number", "evaluator_version": 7, "inputs": inputs},
    )
    no_evaluator = await api.post(
        "/v1/evaluators/test", json={"evaluator": "nothing", "inputs": inputs}
    )

    assert latest["result"]["label"] == "false"
    assert first["result"]["label"] == "true"
    loc, message = refusal(no_version)
    assert loc == ["body", "evaluator_version"]
    assert "has no version 7 (its latest is 2)" in message
    assert refusal(no_evaluator)[0] == ["body", "evaluator"]


async def test_a_builtin_tested_on_a_stored_span(
    api: Client, connection: asyncpg.Connection
) -> None:
    project = await create_project(connection, "support")
    await create_span(
        connection,
        project,
        "t" * 32,
        "s000000000000001",
        "LLM",
        datetime.now(UTC),
        attributes={"input": {"value": "where is it?"}, "output": {"value": "order #42 shipped"}},
    )
    body = {"definition": REGEX, "project": "support", "span_id": "s000000000000001"}

    tested = await tried(api, body)
    unknown_span = await api.post("/v1/evaluators/test", json={**body, "span_id": "nope"})
    unknown_project = await api.post("/v1/evaluators/test", json={**body, "project": "nope"})

    assert tested["result"]["label"] == "true"
    assert tested["inputs"]["output"] == "order #42 shipped"
    assert refusal(unknown_span) == (
        ["body", "span_id"],
        "`span_id`: project support has no span nope",
    )
    assert refusal(unknown_project)[0] == ["body", "project"]


async def test_code_runs_in_the_sandbox_and_a_raise_is_shown_as_the_error(api: Client) -> None:
    code = (
        "def evaluate(output, expected):\n"
        "    print('comparing', output)\n"
        "    return {'score': len(output) / len(expected), 'label': 'ratio'}\n"
    )
    raising = "def evaluate(output):\n    return 1 / 0\n"
    inputs = {"output": "abc", "expected": "abcdef"}

    scored = await tried(api, {"definition": {"kind": "CODE", "code": code}, "inputs": inputs})
    raised = await tried(api, {"definition": {"kind": "CODE", "code": raising}, "inputs": inputs})
    garbage = await tried(
        api,
        {
            "definition": {"kind": "CODE", "code": "def evaluate():\n    return [1, 2]\n"},
            "inputs": {},
        },
    )
    missing = await tried(
        api,
        {
            "definition": {"kind": "CODE", "code": "def evaluate(label):\n    return 1\n"},
            "inputs": {},
        },
    )
    broken = await api.post(
        "/v1/evaluators/test",
        json={"definition": {"kind": "CODE", "code": "def evaluate(:\n"}, "inputs": inputs},
    )

    assert scored["result"] == {"score": 0.5, "label": "ratio", "explanation": None, "metadata": {}}
    assert scored["printed"] == "comparing abc\n"
    assert scored["error"] is None
    assert raised["result"] is None
    assert "raised ZeroDivisionError: division by zero (line 2)" in raised["error"]
    assert garbage["result"] is None and garbage["error"]
    assert missing["result"] is None
    assert "needs an argument 'label'" in missing["error"]
    loc, message = refusal(broken)
    assert loc == ["body", "definition", "code"] and "line 1" in message


async def test_a_judge_is_called_through_the_provider(
    api: Client, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(
        call_tools=True, tool_arguments={"explanation": "It is right.", "label": "correct"}
    )
    inputs = {"input": "capital of France?", "output": "Paris"}

    judged = await tried(api, {"definition": JUDGE, "inputs": inputs})
    calls = provider_environment.calls()

    assert judged["result"] == {
        "score": 1.0,
        "label": "correct",
        "explanation": "It is right.",
        "metadata": {},
    }
    assert judged["tokens"] > 0
    assert judged["error"] is None
    assert calls["by_model"]["gpt-4o-mini"] == {"200": 1}
    sent = json.dumps(calls["last_requests"][-1]["body"])
    assert "capital of France?" in sent and "record_verdict" in sent


async def test_a_judge_answering_outside_its_choices_is_an_error_not_a_failure(
    api: Client, provider_environment: FakeProviderServer
) -> None:
    provider_environment.control(
        call_tools=True, tool_arguments={"explanation": "hmm", "label": "maybe"}
    )

    judged = await tried(api, {"definition": JUDGE, "inputs": {"input": "2+2?", "output": "4"}})
    missing_input = await tried(api, {"definition": JUDGE, "inputs": {"output": "4"}})

    assert judged["result"] is None
    assert "maybe" in judged["error"]
    assert missing_input["result"] is None
    assert "input" in missing_input["error"]


async def test_a_judge_without_a_credential_is_400_naming_the_key(
    api: Client, monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProviderServer
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)

    response = await api.post(
        "/v1/evaluators/test", json={"definition": JUDGE, "inputs": {"input": "a", "output": "b"}}
    )

    assert response.status_code == 400
    assert "OPENAI_API_KEY" in response.text
    assert fake_provider.calls()["calls"] == 0


async def test_a_rejected_key_and_a_provider_failure_are_not_results(
    api: Client, provider_environment: FakeProviderServer
) -> None:
    body = {"definition": JUDGE, "inputs": {"input": "a", "output": "b"}}
    provider_environment.control(rejected_keys=["sk-environment"])
    rejected = await api.post("/v1/evaluators/test", json=body)
    provider_environment.control(rejected_keys=[], rate_limit_fraction=1.0, retry_after=7)
    limited = await api.post("/v1/evaluators/test", json=body)

    assert rejected.status_code == 400
    assert "credential rejected" in rejected.text and "OPENAI_API_KEY" in rejected.text
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"inputs": {"output": "x"}}, "either `definition` or `evaluator`"),
        ({"definition": REGEX, "evaluator": "x", "inputs": {}}, "either `definition` or"),
        ({"definition": REGEX}, "give what to evaluate"),
        ({"definition": REGEX, "span_id": "s1"}, "both `project` and `span_id`"),
        ({"definition": REGEX, "inputs": {}, "evaluator_version": 1}, "needs `evaluator`"),
    ],
)
async def test_a_test_body_must_say_what_and_on_what(
    api: Client, body: dict[str, Any], words: str
) -> None:
    response = await api.post("/v1/evaluators/test", json=body)

    assert words in refusal(response)[1]


async def test_a_test_on_an_unknown_example_or_with_a_bad_mapping_is_422(api: Client) -> None:
    unknown = await api.post(
        "/v1/evaluators/test",
        json={"definition": EXACT, "dataset_example_id": gid("DatasetExample", 99)},
    )
    not_an_id = await api.post(
        "/v1/evaluators/test", json={"definition": EXACT, "dataset_example_id": "example-1"}
    )
    mapping = await api.post(
        "/v1/evaluators/test",
        json={"definition": EXACT, "inputs": {}, "input_mapping": {"output": "nowhere.x"}},
    )

    assert refusal(unknown)[0] == ["body", "dataset_example_id"]
    assert refusal(not_an_id)[0] == ["body", "dataset_example_id"]
    loc, message = refusal(mapping)
    assert loc == ["body", "input_mapping", "output"]
    assert "'nowhere'" in message


# Dataset evaluators -----------------------------------------------------------------------------


async def _dataset(api: Client, name: str = "capitals") -> str:
    upload = await api.post(
        "/v1/datasets/upload",
        params={"sync": "true"},
        json={"action": "create", "name": name, "inputs": [{"q": "?"}], "outputs": [{"a": "!"}]},
    )
    assert upload.status_code == 200, upload.text
    dataset_id: str = upload.json()["data"]["dataset_id"]
    return dataset_id


async def test_evaluators_are_attached_to_a_dataset_listed_and_detached(api: Client) -> None:
    dataset = await _dataset(api)
    other = await _dataset(api, "other")
    evaluator = await create(api, "exact", EXACT)
    path = f"/v1/datasets/{dataset}/evaluators"
    body = {"evaluator": "exact", "name": "exactness", "input_mapping": {"expected": "expected.a"}}

    attached = await api.post(path, json=body)
    pinned = await api.post(
        path, json={"evaluator": evaluator["id"], "evaluator_version": 1, "name": "pinned"}
    )
    taken = await api.post(path, json=body)
    elsewhere = await api.post(f"/v1/datasets/{other}/evaluators", json=body)
    listed = (await api.get(path)).json()
    created = attached.json()["data"]
    deleted = await api.delete(f"{path}/{created['id']}")
    again = await api.delete(f"{path}/{created['id']}")
    from_other = await api.delete(f"/v1/datasets/{other}/evaluators/{pinned.json()['data']['id']}")
    after = (await api.get(path)).json()

    assert attached.status_code == 201, attached.text
    assert type_of(created["id"]) == "DatasetEvaluator"
    assert created["evaluator"] == {"id": evaluator["id"], "name": "exact", "kind": "BUILTIN"}
    assert (created["name"], created["evaluator_version"]) == ("exactness", None)
    assert created["input_mapping"] == {"expected": "expected.a"}
    assert created["existing_runs"] == 0
    assert pinned.json()["data"]["evaluator_version"] == 1
    assert taken.status_code == 409
    assert "already has an evaluator named exactness" in taken.text
    assert elsewhere.status_code == 201
    assert [item["name"] for item in listed["data"]] == ["pinned", "exactness"]
    assert (deleted.status_code, again.status_code, from_other.status_code) == (204, 404, 404)
    assert [item["name"] for item in after["data"]] == ["pinned"]


async def test_attaching_refuses_what_does_not_exist(api: Client) -> None:
    dataset = await _dataset(api)
    await create(api, "exact", EXACT)
    path = f"/v1/datasets/{dataset}/evaluators"

    no_evaluator = await api.post(path, json={"evaluator": "nothing", "name": "n"})
    no_version = await api.post(
        path, json={"evaluator": "exact", "evaluator_version": 2, "name": "n"}
    )
    bad_mapping = await api.post(
        path, json={"evaluator": "exact", "name": "n", "input_mapping": {"output": 3}}
    )
    no_dataset = await api.post(
        f"/v1/datasets/{gid('Dataset', 999)}/evaluators", json={"evaluator": "exact", "name": "n"}
    )
    not_an_id = await api.get("/v1/datasets/capitals/evaluators")

    assert refusal(no_evaluator) == (["body", "evaluator"], "`evaluator`: no evaluator nothing")
    assert refusal(no_version)[0] == ["body", "evaluator_version"]
    assert refusal(bad_mapping)[0] == ["body", "input_mapping", "output"]
    assert no_dataset.status_code == 404
    assert refusal(not_an_id)[0] == ["path", "id"]
    assert (await api.get(path)).json()["data"] == []


# Hostile input ----------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


async def _raw(api: Client, path: str, body: bytes) -> httpx.Response:
    return await api.post(path, content=body, headers={"content-type": "application/json"})


async def test_hostile_bodies_are_422_naming_the_field(api: Client) -> None:
    def evaluator(**changes: Any) -> dict[str, Any]:
        return {"name": "hostile", "kind": "BUILTIN", "definition": EXACT, **changes}

    nul_name = await api.post("/v1/evaluators", json=evaluator(name="a\x00b"))
    nul_definition = await api.post(
        "/v1/evaluators", json=evaluator(definition={**REGEX, "config": {"pattern": "a\x00"}})
    )
    huge_int = await _raw(
        api,
        "/v1/evaluators",
        json.dumps(evaluator(definition={**EXACT, "config": {"case_sensitive": 2**63}})).encode(),
    )
    nan = await _raw(
        api,
        "/v1/evaluators/test",
        b'{"definition": {"kind": "BUILTIN", "evaluator": "exact_match"}, '
        b'"inputs": {"output": NaN}}',
    )
    deep_inputs = await _raw(
        api,
        "/v1/evaluators/test",
        json.dumps({"definition": EXACT, "inputs": _nested(600)}).encode(),
    )
    deep_definition = await _raw(
        api, "/v1/evaluators", json.dumps(evaluator(definition=_nested(600))).encode()
    )
    long_name = await api.post("/v1/evaluators", json=evaluator(name="a" * 10_000))
    long_description = await api.post("/v1/evaluators", json=evaluator(description="d" * 10_001))
    long_code = await api.post(
        "/v1/evaluators",
        json=evaluator(kind="CODE", definition={"kind": "CODE", "code": "#" * 200_000 + "\n"}),
    )
    big_version = await api.post(
        "/v1/evaluators/test",
        json={"evaluator": "x", "evaluator_version": 2**40, "inputs": {}},
    )
    string_version = await api.post(
        "/v1/evaluators/test", json={"evaluator": "x", "evaluator_version": "1", "inputs": {}}
    )
    unknown_key = await api.post("/v1/evaluators", json=evaluator(nmae="typo"))

    assert refusal(nul_name)[0] == ["body", "name"]
    assert "NUL" in refusal(nul_name)[1]
    assert refusal(nul_definition)[0] == ["body", "definition", "config", "pattern"]
    assert "definition.config.case_sensitive" in refusal(huge_int)[1]
    # JSON has no NaN: the parser refuses the body before anything reads it
    assert nan.status_code == 400 and "JSON is malformed" in nan.text
    assert "nest" in refusal(deep_inputs)[1] and refusal(deep_inputs)[0][:2] == ["body", "inputs"]
    assert "nest" in refusal(deep_definition)[1]
    assert "at most 256 characters" in refusal(long_name)[1]
    assert refusal(long_description)[0] == ["body", "description"]
    assert refusal(long_code)[0] == ["body", "definition", "code"]
    assert refusal(big_version)[0] == ["body", "evaluator_version"]
    assert "must be an integer" in refusal(string_version)[1]
    assert refusal(unknown_key)[0] == ["body", "nmae"]
    assert (await api.get("/v1/evaluators")).json()["data"] == []


async def test_hostile_path_and_query_values_are_4xx(api: Client) -> None:
    nul = await api.get("/v1/evaluators/a%00b")
    huge_limit = await api.get("/v1/evaluators", params={"limit": str(2**63)})
    long_identifier = await api.get("/v1/evaluators/" + "a" * 10_000)

    assert refusal(nul)[0] == ["path", "evaluator_identifier"]
    assert refusal(huge_limit)[0] == ["query", "limit"]
    assert long_identifier.status_code == 404
