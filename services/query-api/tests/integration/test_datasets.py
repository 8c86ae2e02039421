"""``/v1/datasets`` as Phoenix's clients use it: uploads (JSON, CSV, gzip, JSONL), reads, deletes,
and every refusal of a bad upload with its status and message."""

from __future__ import annotations

import asyncio
import base64
import gzip
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

pytestmark = pytest.mark.slow

Client = httpx.AsyncClient


def _type_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[0]


async def _upload_json(api: Client, **body: Any) -> httpx.Response:
    return await api.post("/v1/datasets/upload", params={"sync": "true"}, json=body)


async def _upload_file(
    api: Client,
    content: bytes,
    *,
    name: str = "qa",
    action: str = "create",
    content_type: str = "text/csv",
    filename: str = "qa.csv",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    data = {"action": action, "name": name, **fields}
    file = (filename, content, content_type, headers or {})
    return await api.post(
        "/v1/datasets/upload", params={"sync": "true"}, data=data, files={"file": file}
    )


async def _examples(api: Client, dataset_id: str, **params: Any) -> dict[str, Any]:
    response = await api.get(f"/v1/datasets/{dataset_id}/examples", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_json_upload_then_get_list_versions_examples_and_delete(api: Client) -> None:
    created = await _upload_json(
        api,
        action="create",
        name="qa",
        description="questions",
        inputs=[{"q": "2+2?"}, {"q": "capital of France?"}],
        outputs=[{"a": 4}, {"a": "Paris"}],
        metadata=[{"n": 1}, {}],
        splits=["train", ["test", "hard"]],
        example_ids=["ex-1", None],
    )
    assert created.status_code == 200, created.text
    upload = created.json()["data"]
    dataset_id, version_id = upload["dataset_id"], upload["version_id"]

    got = (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]
    listed = (await api.get("/v1/datasets", params={"name": "qa"})).json()
    versions = (await api.get(f"/v1/datasets/{dataset_id}/versions")).json()
    examples = await _examples(api, dataset_id)
    in_test = await _examples(api, dataset_id, split=["test"])

    assert (_type_of(dataset_id), _type_of(version_id)) == ("Dataset", "DatasetVersion")
    assert upload["num_created_examples"] == 2
    assert (got["name"], got["description"], got["example_count"]) == ("qa", "questions", 2)
    assert [dataset["id"] for dataset in listed["data"]] == [dataset_id]
    assert [version["version_id"] for version in versions["data"]] == [version_id]
    assert examples["version_id"] == version_id
    assert [example["input"] for example in examples["examples"]] == [
        {"q": "2+2?"},
        {"q": "capital of France?"},
    ]
    assert examples["examples"][0]["output"] == {"a": 4}  # JSON keeps its types
    assert examples["examples"][0]["id"] == "ex-1"
    assert _type_of(examples["examples"][0]["node_id"]) == "DatasetExample"
    assert examples["examples"][1]["id"] == examples["examples"][1]["node_id"]
    updated_at = datetime.fromisoformat(examples["examples"][0]["updated_at"])
    assert updated_at.utcoffset() == timedelta(0)
    assert abs(updated_at - datetime.fromisoformat(got["created_at"])) < timedelta(seconds=5)
    assert in_test["filtered_splits"] == ["test"]
    assert [example["input"]["q"] for example in in_test["examples"]] == ["capital of France?"]

    deleted = await api.delete(f"/v1/datasets/{dataset_id}")
    assert deleted.status_code == 204
    assert (await api.get(f"/v1/datasets/{dataset_id}")).status_code == 404
    assert (await api.get("/v1/datasets")).json()["data"] == []


async def test_a_version_reads_as_it_was_after_an_append(api: Client) -> None:
    first = (await _upload_json(api, action="create", name="ds", inputs=[{"x": 1}])).json()["data"]
    second = (
        await _upload_json(api, action="append", name="ds", inputs=[{"x": 2}, {"x": 3}])
    ).json()["data"]
    dataset_id = first["dataset_id"]

    old = await _examples(api, dataset_id, version_id=first["version_id"])
    latest = await _examples(api, dataset_id)
    versions = (await api.get(f"/v1/datasets/{dataset_id}/versions")).json()["data"]
    got = (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]

    assert second["dataset_id"] == dataset_id
    assert [example["input"]["x"] for example in old["examples"]] == [1]
    assert latest["version_id"] == second["version_id"]
    assert [example["input"]["x"] for example in latest["examples"]] == [1, 2, 3]
    assert [version["version_id"] for version in versions] == [
        second["version_id"],
        first["version_id"],
    ]
    assert got["example_count"] == 3


async def test_lists_are_cursor_pages(api: Client) -> None:
    for index in range(3):
        await _upload_json(api, action="create", name=f"d{index}", inputs=[{"i": index}])

    first = (await api.get("/v1/datasets", params={"limit": 2})).json()
    second = (
        await api.get("/v1/datasets", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    bad_cursor = await api.get("/v1/datasets", params={"cursor": "nope"})

    assert [dataset["name"] for dataset in first["data"]] == ["d2", "d1"]
    assert [dataset["name"] for dataset in second["data"]] == ["d0"]
    assert second["next_cursor"] is None
    assert bad_cursor.status_code == 422


async def test_csv_upload_gzip_and_key_selection(api: Client) -> None:
    table = b'question,answer,source,split,qid\nhi,hello,web,train,q1\n"a, b",c,book,test,q2\n'

    plain = await _upload_file(
        api,
        table,
        name="plain",
        **{
            "input_keys[]": ["question"],
            "output_keys[]": ["answer"],
            "metadata_keys[]": ["source"],
            "split_key": "split",
            "example_id_key": "qid",
        },
    )
    zipped = await _upload_file(
        api,
        gzip.compress(table),
        name="zipped",
        headers={"Content-Encoding": "gzip"},
        **{"input_keys[]": ["question"], "output_keys[]": ["answer"]},
    )
    assert plain.status_code == 200, plain.text
    assert zipped.status_code == 200, zipped.text

    examples = (await _examples(api, plain.json()["data"]["dataset_id"]))["examples"]
    train = await _examples(api, plain.json()["data"]["dataset_id"], split=["train"])
    zipped_examples = (await _examples(api, zipped.json()["data"]["dataset_id"]))["examples"]

    assert [(e["id"], e["input"], e["output"], e["metadata"]) for e in examples] == [
        ("q1", {"question": "hi"}, {"answer": "hello"}, {"source": "web"}),
        ("q2", {"question": "a, b"}, {"answer": "c"}, {"source": "book"}),
    ]
    assert [example["id"] for example in train["examples"]] == ["q1"]
    assert [example["input"]["question"] for example in zipped_examples] == ["hi", "a, b"]


async def test_jsonl_upload_keeps_json_types(api: Client) -> None:
    lines = b'{"q": "x", "n": 1, "tags": ["a"]}\n\n{"q": "y", "n": 2.5, "tags": []}\n'

    response = await _upload_file(
        api,
        gzip.compress(lines),
        name="lines",
        content_type="application/jsonl",
        filename="lines.jsonl",
        **{"input_keys[]": ["q"], "output_keys[]": ["n"], "metadata_keys[]": ["tags"]},
    )
    assert response.status_code == 200, response.text
    examples = (await _examples(api, response.json()["data"]["dataset_id"]))["examples"]

    assert [(e["input"], e["output"], e["metadata"]) for e in examples] == [
        ({"q": "x"}, {"n": 1}, {"tags": ["a"]}),
        ({"q": "y"}, {"n": 2.5}, {"tags": []}),
    ]


async def test_a_large_csv_is_stored_in_chunks_in_order(api: Client) -> None:
    rows = "".join(f"q{index},a{index}\n" for index in range(12_345))
    response = await _upload_file(
        api,
        gzip.compress(f"question,answer\n{rows}".encode()),
        name="large",
        **{"input_keys[]": ["question"], "output_keys[]": ["answer"]},
    )
    assert response.status_code == 200, response.text
    dataset_id = response.json()["data"]["dataset_id"]

    examples = (await _examples(api, dataset_id))["examples"]
    got = (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]

    assert response.json()["data"]["num_created_examples"] == 12_345
    assert got["example_count"] == 12_345
    assert examples[0]["input"] == {"question": "q0"}
    assert examples[-1]["output"] == {"answer": "a12344"}


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (
            b"question,answer\nhi,hello\nthree,fields,here\n",
            {},
            "CSV line 3: 3 fields, the header has 2 (column 3 has no header)",
        ),
        (
            b"question,answer\nhi\n",
            {},
            "CSV line 2: 1 fields, the header has 2 (column 2, 'answer', is missing)",
        ),
        (
            b'question,answer\n"unclosed,x\n',
            {},
            "CSV line 2: unexpected end of data",
        ),
        (
            b"question,answer\nhi,hello\n",
            {"input_keys[]": ["question", "prompt", "context"]},
            "Keys not found in the file's columns: 'prompt', 'context'",
        ),
        (
            b"question,answer\nhi,a\x00b\n",
            {},
            "CSV line 2, column 2 ('answer'): NUL characters can't be stored",
        ),
    ],
    ids=["extra-column", "missing-column", "unclosed-quote", "missing-keys", "nul"],
)
async def test_bad_csv_is_refused_naming_line_and_column(
    api: Client, content: bytes, fields: dict[str, Any], message: str
) -> None:
    keys = {"input_keys[]": ["question"], "output_keys[]": ["answer"], **fields}
    response = await _upload_file(api, content, name="bad", **keys)

    assert response.status_code == 422
    assert response.text == message
    assert (await api.get("/v1/datasets")).json()["data"] == []  # nothing left behind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"q": 1}\n{"q": 2,}\n', "JSONL line 2, column 8: trailing comma is not allowed"),
        (b'{"q": 1}\n[1, 2]\n', "JSONL line 2: expected a JSON object, got list"),
        (b'{"q": 1}\n{"p": 2}\n', "JSONL line 2: keys not found: 'q'"),
        (b'{"q": "a\\u0000b"}\n', "JSONL line 1: NUL characters (\\u0000) can't be stored"),
    ],
    ids=["malformed", "not-an-object", "missing-key", "nul"],
)
async def test_bad_jsonl_is_refused_naming_the_line(
    api: Client, content: bytes, message: str
) -> None:
    response = await _upload_file(
        api,
        content,
        name="bad",
        content_type="application/jsonl",
        filename="bad.jsonl",
        **{"input_keys[]": ["q"]},
    )

    assert response.status_code == 422
    assert response.text.startswith(message)
    assert (await api.get("/v1/datasets")).json()["data"] == []


async def test_a_failed_append_leaves_no_version(api: Client) -> None:
    created = (await _upload_json(api, action="create", name="kept", inputs=[{"x": 1}])).json()
    dataset_id = created["data"]["dataset_id"]

    failed = await _upload_file(
        api,
        b"x\n1\n2,3\n",
        name="kept",
        action="append",
        **{"input_keys[]": ["x"]},
    )
    versions = (await api.get(f"/v1/datasets/{dataset_id}/versions")).json()["data"]

    assert failed.status_code == 422
    assert [version["version_id"] for version in versions] == [created["data"]["version_id"]]
    assert (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]["example_count"] == 1


async def test_refusals(api: Client) -> None:
    await _upload_json(api, action="create", name="taken", inputs=[{"x": 1}])

    taken = await _upload_json(api, action="create", name="taken", inputs=[{"x": 2}])
    bad_action = await _upload_json(api, action="merge", name="n", inputs=[{"x": 1}])
    no_inputs = await _upload_json(api, action="create", name="n", inputs="x")
    short_outputs = await _upload_json(
        api, action="create", name="n", inputs=[{"x": 1}, {"x": 2}], outputs=[{}]
    )
    not_gzip = await _upload_file(api, b"\x1f\x8bnot gzip", name="n", **{"input_keys[]": ["x"]})
    not_json = await api.post(
        "/v1/datasets/upload", content=b"{", headers={"content-type": "application/json"}
    )
    nul_name = await _upload_file(api, b"x\n1\n", name="a\x00b", **{"input_keys[]": ["x"]})
    arrow = await _upload_file(
        api,
        b"ARROW1",
        name="n",
        content_type="application/x-pandas-pyarrow",
        **{"input_keys[]": ["x"]},
    )
    bad_id = await api.get("/v1/datasets/not-a-global-id")
    missing = await api.get(f"/v1/datasets/{base64.b64encode(b'Dataset:999').decode()}")
    missing_version = await api.get(
        f"/v1/datasets/{(await api.get('/v1/datasets')).json()['data'][0]['id']}/examples",
        params={"version_id": base64.b64encode(b"DatasetVersion:999").decode()},
    )

    assert (taken.status_code, taken.text) == (
        409,
        "Dataset with the same name already exists: name='taken'",
    )
    assert (bad_action.status_code, bad_action.text) == (422, "Invalid dataset action: merge")
    assert (no_inputs.status_code, no_inputs.text) == (422, "`inputs` must be a list of objects")
    assert short_outputs.status_code == 422
    assert short_outputs.text == "`outputs` must have as many items as `inputs` (1 != 2)"
    assert not_gzip.status_code == 422
    assert not_gzip.text.startswith("The file is not valid gzip")
    assert (not_json.status_code, not_json.text) == (422, "The body is not valid JSON")
    assert (nul_name.status_code, nul_name.text) == (422, "`name` must not contain NUL characters")
    assert arrow.status_code == 422
    assert arrow.text.startswith("Unsupported file type: application/x-pandas-pyarrow")
    assert bad_id.status_code == 422
    assert missing.status_code == 404
    assert missing_version.status_code == 404
    assert orjson.loads((await api.get("/v1/datasets")).content)["data"][0]["example_count"] == 1


async def test_update_makes_the_new_version_hold_exactly_the_upload(api: Client) -> None:
    first = (
        await _upload_json(
            api,
            action="update",
            name="decl",
            inputs=[{"q": "same"}, {"q": "gone"}, {"q": "keyed"}, {"q": "same"}],
            example_ids=[None, None, "k1", None],
        )
    ).json()["data"]
    before = await _examples(api, first["dataset_id"])

    second = await _upload_json(
        api,
        action="update",
        name="decl",
        inputs=[{"q": "same"}, {"q": "keyed, edited"}, {"q": "new"}],
        example_ids=[None, "k1", None],
        splits=["train", None, ["train", "test"]],
    )
    assert second.status_code == 200, second.text
    counts = second.json()["data"]
    after = await _examples(api, first["dataset_id"])
    old = await _examples(api, first["dataset_id"], version_id=first["version_id"])

    assert counts["dataset_id"] == first["dataset_id"]
    assert (
        counts["num_created_examples"],
        counts["num_updated_examples"],
        counts["num_deleted_examples"],
    ) == (1, 1, 2)
    assert [example["input"]["q"] for example in after["examples"]] == [
        "same",
        "keyed, edited",
        "new",
    ]
    kept = {example["node_id"] for example in before["examples"]}
    assert after["examples"][0]["node_id"] in kept  # matched by content: the same example
    assert after["examples"][1]["node_id"] == before["examples"][2]["node_id"]  # by its id
    assert after["examples"][1]["id"] == "k1"
    assert old["examples"] == before["examples"]
    train = await _examples(api, first["dataset_id"], split=["train"])
    assert [example["input"]["q"] for example in train["examples"]] == ["same", "new"]
    got = (await api.get(f"/v1/datasets/{first['dataset_id']}")).json()["data"]
    assert got["example_count"] == 3


async def test_examples_link_to_their_source_spans(
    api: Client, store_spans: Callable[..., Awaitable[None]]
) -> None:
    await store_spans("chat", {"trace": "a" * 32, "span": "a000000000000001"})
    span_node_id = (await api.get("/v1/projects/chat/spans")).json()["data"][0]["id"]

    by_json = await _upload_json(
        api,
        action="create",
        name="from-spans",
        inputs=[{"q": "linked"}, {"q": "unknown span"}, {"q": "none"}],
        span_ids=["a000000000000001", "ffffffffffffffff", None],
    )
    by_csv = await _upload_file(
        api,
        b"q,span\nlinked,a000000000000001\nnone,\n",
        name="csv-from-spans",
        **{"input_keys[]": ["q"], "span_id_key": "span"},
    )
    linked = await _examples(api, by_json.json()["data"]["dataset_id"])
    linked_csv = await _examples(api, by_csv.json()["data"]["dataset_id"])

    source = {"span_id": "a000000000000001", "span_node_id": span_node_id}
    assert [example["source"] for example in linked["examples"]] == [source, None, None]
    assert [example["source"] for example in linked_csv["examples"]] == [source, None]
    assert linked_csv["examples"][0]["input"] == {"q": "linked"}  # the span column is no input

    updated = await _upload_json(
        api,
        action="update",
        name="from-spans",
        inputs=[{"q": "linked"}, {"q": "unknown span"}, {"q": "none"}, {"q": "again"}],
        span_ids=[None, None, None, "a000000000000001"],
    )
    after_update = await _examples(api, by_json.json()["data"]["dataset_id"])
    assert updated.json()["data"]["num_created_examples"] == 1
    assert [example["source"] for example in after_update["examples"]] == [
        source,
        None,
        None,
        source,
    ]


async def test_concurrent_appends_to_a_new_name_both_land(api: Client) -> None:
    uploads = await asyncio.gather(
        *(
            _upload_json(api, action="append", name="together", inputs=[{"i": index}] * 2_000)
            for index in range(3)
        )
    )

    assert [upload.status_code for upload in uploads] == [200, 200, 200]
    dataset_ids = {upload.json()["data"]["dataset_id"] for upload in uploads}
    assert len(dataset_ids) == 1
    dataset_id = dataset_ids.pop()
    versions = (await api.get(f"/v1/datasets/{dataset_id}/versions")).json()["data"]
    assert len(versions) == 3
    got = (await api.get(f"/v1/datasets/{dataset_id}")).json()["data"]
    assert got["example_count"] == 6_000


async def test_flatten_keys_lift_an_objects_keys_into_the_example(api: Client) -> None:
    csv_file = (
        b"question,context,answer\n"
        b'hi,"{""lang"": ""en"", ""tone"": null}",a\n'
        b'yo,"{""lang"": ""fr"", ""level"": 2}",b\n'
    )
    jsonl_file = b'{"q": "hi", "ctx": {"lang": "en", "n": [1]}, "a": {"x": 1}}\n'

    from_csv = await _upload_file(
        api, csv_file, name="flat-csv",
        **{"input_keys[]": ["question", "context"], "output_keys[]": ["answer"],
           "flatten_keys[]": ["context"]},
    )  # fmt: skip
    from_jsonl = await _upload_file(
        api, jsonl_file, name="flat-jsonl", content_type="application/jsonl",
        filename="x.jsonl",
        **{"input_keys[]": ["q", "ctx"], "output_keys[]": ["a"], "flatten_keys[]": ["ctx", "a"]},
    )  # fmt: skip

    assert from_csv.status_code == 200, from_csv.text
    csv_examples = await _examples(api, from_csv.json()["data"]["dataset_id"])
    assert [example["input"] for example in csv_examples["examples"]] == [
        {"question": "hi", "lang": "en"},  # an empty value is left out, as Phoenix does
        {"question": "yo", "lang": "fr", "level": 2},
    ]
    assert from_jsonl.status_code == 200, from_jsonl.text
    [jsonl_example] = (await _examples(api, from_jsonl.json()["data"]["dataset_id"]))["examples"]
    assert (jsonl_example["input"], jsonl_example["output"]) == (
        {"q": "hi", "lang": "en", "n": [1]}, {"x": 1}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"q,ctx\nhi,not json\n", "CSV line 2: can't flatten 'ctx': expected an object"),
        (b'q,ctx\nhi,"[1, 2]"\n', "CSV line 2: can't flatten 'ctx': expected an object"),
        (b"q,ctx\nhi,\n", "CSV line 2: can't flatten 'ctx': expected an object"),
        (
            b'q,ctx\nhi,"{""q"": 1}"\n',
            "CSV line 2: can't flatten 'ctx': its key 'q' is a selected column too",
        ),
        (
            b'q,ctx\nhi,"{""a\\u0000"": 1}"\n',
            "CSV line 2, column 'ctx': NUL characters (\\u0000) can't be stored",
        ),
        (
            b'q,ctx\nhi,"' + b'{""k"": ' * 150 + b"1" + b"}" * 150 + b'"\n',
            "CSV line 2, column 'ctx': must not nest objects and arrays deeper than 100 levels",
        ),
    ],
    ids=["not-json", "a-list", "empty", "key-clash", "nul", "too-deep"],
)
async def test_a_value_that_cannot_be_flattened_is_refused(
    api: Client, content: bytes, message: str
) -> None:
    response = await _upload_file(
        api, content, name="flat",
        **{"input_keys[]": ["q", "ctx"], "flatten_keys[]": ["ctx"]},
    )  # fmt: skip

    assert (response.status_code, response.text) == (422, message)
    assert (await api.get("/v1/datasets")).json()["data"] == []


async def test_two_flattened_objects_with_one_key_are_refused(api: Client) -> None:
    jsonl_file = b'{"a": {"k": 1}, "b": {"k": 2}}\n'

    response = await _upload_file(
        api, jsonl_file, name="clash", content_type="application/jsonl", filename="x.jsonl",
        **{"input_keys[]": ["a", "b"], "flatten_keys[]": ["a", "b"]},
    )  # fmt: skip

    assert (response.status_code, response.text) == (
        422, "JSONL line 1: can't flatten 'b': its key 'k' is the key of 'a' too"
    )  # fmt: skip
