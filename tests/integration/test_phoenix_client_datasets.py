"""`arize-phoenix-client`'s datasets against Spyglass: the calls Phoenix users make, unchanged.

The client creates datasets from dicts (a JSON upload), from a DataFrame and from a CSV file
(both as a gzip-compressed CSV part of a multipart form); it has no JSONL path, so a JSONL file
is uploaded as Phoenix's UI does (`POST /v1/datasets/upload`) and read back with the client.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from phoenix.client import Client

from tests.support.platform import RunningPlatform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(platform: RunningPlatform) -> Iterator[Client]:
    """A Phoenix client pointed at Spyglass's public address, and nothing else."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        yield Client(http_client=http)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_from_dicts_append_and_read_by_name_id_and_version(client: Client) -> None:
    name = _name("compat-qa")

    created = client.datasets.create_dataset(
        name=name,
        inputs=[{"question": "2+2?"}, {"question": "capital of France?"}],
        outputs=[{"answer": 4}, {"answer": "Paris"}],
        metadata=[{"topic": "math"}, {"topic": "geography"}],
        dataset_description="questions",
    )
    appended = client.datasets.add_examples_to_dataset(
        dataset=name, inputs=[{"question": "who wrote Hamlet?"}], outputs=[{"answer": "WS"}]
    )
    by_name = client.datasets.get_dataset(dataset=name)
    by_id = client.datasets.get_dataset(dataset=created.id)
    first_version = client.datasets.get_dataset(dataset=created.id, version_id=created.version_id)
    versions = client.datasets.get_dataset_versions(dataset=name)

    assert (created.name, created.description, len(created)) == (name, "questions", 2)
    assert created.examples[0]["input"] == {"question": "2+2?"}
    assert created.examples[0]["output"] == {"answer": 4}  # the JSON upload keeps types
    assert created.examples[1]["metadata"] == {"topic": "geography"}
    assert appended.id == created.id and appended.version_id != created.version_id
    assert len(appended) == 3
    assert by_name.id == by_id.id == created.id
    assert by_name.version_id == appended.version_id
    assert [example["input"]["question"] for example in by_id.examples][-1] == "who wrote Hamlet?"
    assert len(first_version) == 2  # a version reads as it was
    assert [version["version_id"] for version in versions] == [
        appended.version_id,
        created.version_id,
    ]
    with pytest.raises(ValueError):
        client.datasets.get_dataset(dataset=_name("compat-missing"))


def test_create_from_a_dataframe_with_splits(client: Client) -> None:
    name = _name("compat-frame")
    frame = pd.DataFrame(
        {
            "prompt": ["hello", "hi there", "bye"],
            "response": ["hi!", "hello!", "see you"],
            "score": [0.9, 0.95, 0.5],
            "split": ["train", "train", "test"],
        }
    )

    dataset = client.datasets.create_dataset(
        name=name,
        dataframe=frame,
        input_keys=["prompt"],
        output_keys=["response"],
        metadata_keys=["score"],
        split_key="split",
    )
    test_split = client.datasets.get_dataset(dataset=name, splits=["test"])

    assert len(dataset) == 3
    assert [example["input"] for example in dataset.examples] == [
        {"prompt": "hello"},
        {"prompt": "hi there"},
        {"prompt": "bye"},
    ]
    assert dataset.examples[0]["metadata"] == {"score": "0.9"}  # CSV values are strings
    assert [example["output"] for example in test_split.examples] == [{"response": "see you"}]


def test_create_from_a_csv_file_and_append_another(client: Client, tmp_path: Path) -> None:
    name = _name("compat-csv")
    first = tmp_path / "first.csv"
    first.write_text('question,answer,source\n"a, quoted",yes,web\nplain,no,book\n')
    second = tmp_path / "second.csv"
    second.write_text("question,answer,source\nmore,maybe,web\n")

    created = client.datasets.create_dataset(
        name=name,
        csv_file_path=first,
        input_keys=["question"],
        output_keys=["answer"],
        metadata_keys=["source"],
    )
    appended = client.datasets.add_examples_to_dataset(
        dataset=created,
        csv_file_path=second,
        input_keys=["question"],
        output_keys=["answer"],
        metadata_keys=["source"],
    )

    assert [example["input"]["question"] for example in created.examples] == [
        "a, quoted",
        "plain",
    ]
    assert created.examples[0]["metadata"] == {"source": "web"}
    assert [example["output"]["answer"] for example in appended.examples] == [
        "yes",
        "no",
        "maybe",
    ]


def test_a_jsonl_upload_reads_back_through_the_client(
    client: Client, platform: RunningPlatform
) -> None:
    name = _name("compat-jsonl")
    lines = b'{"q": "x", "n": 1}\n{"q": "y", "n": [1, 2]}\n'

    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        response = http.post(
            "/v1/datasets/upload",
            params={"sync": "true"},
            data={"action": "create", "name": name, "input_keys[]": ["q"], "output_keys[]": ["n"]},
            files={
                "file": (
                    "rows.jsonl",
                    gzip.compress(lines),
                    "application/jsonl",
                    {"Content-Encoding": "gzip"},
                )
            },
        )
    assert response.status_code == 200, response.text
    dataset = client.datasets.get_dataset(dataset=name)

    assert dataset.id == response.json()["data"]["dataset_id"]
    assert [(example["input"], example["output"]) for example in dataset.examples] == [
        ({"q": "x"}, {"n": 1}),
        ({"q": "y"}, {"n": [1, 2]}),
    ]


def test_create_dataset_again_makes_it_hold_the_new_examples(client: Client) -> None:
    name = _name("compat-again")

    first = client.datasets.create_dataset(
        name=name, inputs=[{"q": "kept"}, {"q": "dropped"}], outputs=[{"a": 1}, {"a": 2}]
    )
    again = client.datasets.create_dataset(
        name=name, inputs=[{"q": "kept"}, {"q": "added"}], outputs=[{"a": 1}, {"a": 3}]
    )

    assert again.id == first.id and again.version_id != first.version_id
    assert [example["input"]["q"] for example in again.examples] == ["kept", "added"]
    assert again.examples[0]["id"] == first.examples[0]["id"]  # the same example, unchanged
    assert len(client.datasets.get_dataset(dataset=name, version_id=first.version_id)) == 2
