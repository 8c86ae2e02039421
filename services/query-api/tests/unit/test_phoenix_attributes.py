"""Span attributes flattened as Phoenix flattens them: REST's dotted keys and the dataframe's
columns, for every list-valued OpenInference attribute and the edges of the rules."""

from __future__ import annotations

import inspect
from typing import Any

from openinference.semconv import trace

from spyglass_query_api.phoenix_attributes import (
    SEMANTIC_CONVENTIONS,
    dotted_attributes,
    dotted_object,
    semantic_columns,
)

URL = "https://example.com/cat.png"

# An LLM span, a retriever's and a reranker's documents, embeddings and tools in one document,
# nested as spans are stored.
STORED: dict[str, Any] = {
    "openinference": {"span": {"kind": "LLM"}},
    "llm": {
        "model_name": "gpt-4o",
        "input_messages": [
            {"message": {"role": "system", "content": "be brief"}},
            {"message": {"role": "user", "contents": [
                {"message_content": {"type": "text", "text": "what is this?"}},
                {"message_content": {"type": "image", "image": {"image": {"url": URL}}}},
            ]}},
        ],
        "output_messages": [{"message": {"role": "assistant", "tool_calls": [
            {"tool_call": {"id": "call-1", "function": {"name": "lookup",
                                                        "arguments": '{"q": "cat"}'}}},
        ]}}],
        "tools": [{"tool": {"json_schema": '{"type": "function"}'}}],
        "prompt_template": {"variables": {"animal": "cat"}},
        "token_count": {"prompt": 12, "total": 12},
    },
    "retrieval": {"documents": [
        {"document": {"id": "d1", "content": "cats", "score": 0.9, "metadata": {"source": "wiki"}}},
    ]},
    "reranker": {
        "input_documents": [{"document": {"id": "d1", "score": 0.9}}],
        "output_documents": [{"document": {"id": "d1", "score": 0.99}}],
        "top_k": 1,
    },
    "embedding": {"embeddings": [{"embedding": {"text": "cat", "vector": [0.25, 0.5]}}]},
    "metadata": {"tier": "gold"},
    "tag": {"tags": ["a", "b"]},
}  # fmt: skip


def test_the_conventions_are_openinferences() -> None:
    installed = {
        getattr(holder, name)
        for holder_name in dir(trace)
        if holder_name.endswith("Attributes")
        and inspect.isclass(holder := getattr(trace, holder_name))
        for name in dir(holder)
        if name.isupper()
    }

    assert installed == SEMANTIC_CONVENTIONS


def test_dataframe_columns_keep_list_attributes_whole_with_convention_keys() -> None:
    assert semantic_columns(STORED) == {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.input_messages": [
            {"message.role": "system", "message.content": "be brief"},
            {"message.role": "user", "message.contents": [
                {"message_content.type": "text", "message_content.text": "what is this?"},
                {"message_content.type": "image", "message_content.image": {"image.url": URL}},
            ]},
        ],
        "llm.output_messages": [{"message.role": "assistant", "message.tool_calls": [
            {"tool_call.id": "call-1", "tool_call.function.name": "lookup",
             "tool_call.function.arguments": '{"q": "cat"}'},
        ]}],
        "llm.tools": [{"tool.json_schema": '{"type": "function"}'}],
        "llm.prompt_template.variables": {"animal": "cat"},
        "llm.token_count.prompt": 12,
        "llm.token_count.total": 12,
        "retrieval.documents": [{"document.id": "d1", "document.content": "cats",
                                 "document.score": 0.9, "document.metadata": {"source": "wiki"}}],
        "reranker.input_documents": [{"document.id": "d1", "document.score": 0.9}],
        "reranker.output_documents": [{"document.id": "d1", "document.score": 0.99}],
        "reranker.top_k": 1,
        "embedding.embeddings": [{"embedding.text": "cat", "embedding.vector": [0.25, 0.5]}],
        "metadata": {"tier": "gold"},
        "tag.tags": ["a", "b"],
    }  # fmt: skip


def test_rest_keys_walk_every_list_of_objects() -> None:
    assert dotted_attributes(STORED) == {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "be brief",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "what is this?",
        "llm.input_messages.1.message.contents.1.message_content.type": "image",
        "llm.input_messages.1.message.contents.1.message_content.image.image.url": URL,
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call-1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"q": "cat"}',
        "llm.tools.0.tool.json_schema": '{"type": "function"}',
        "llm.prompt_template.variables.animal": "cat",
        "llm.token_count.prompt": 12,
        "llm.token_count.total": 12,
        "retrieval.documents.0.document.id": "d1",
        "retrieval.documents.0.document.content": "cats",
        "retrieval.documents.0.document.score": 0.9,
        "retrieval.documents.0.document.metadata.source": "wiki",
        "reranker.input_documents.0.document.id": "d1",
        "reranker.input_documents.0.document.score": 0.9,
        "reranker.output_documents.0.document.id": "d1",
        "reranker.output_documents.0.document.score": 0.99,
        "reranker.top_k": 1,
        "embedding.embeddings.0.embedding.text": "cat",
        "embedding.embeddings.0.embedding.vector": [0.25, 0.5],
        "metadata.tier": "gold",
        "tag.tags": ["a", "b"],
    }


def test_edges_follow_phoenix() -> None:
    stored = {
        "empty": {},
        "missing": None,
        "mixed": [{"a": 1}, "dropped", {}],
        "plain": [],
        "custom": {"deep": {"key": 1}, "llm": {"model_name": "x"}},
        "numbered": {"0": "a", "1": "b"},
        "metadata": {"gone": None, "kept": {}},
        "value": 1,
        "value.beside": 2,
    }

    assert dotted_attributes(stored) == {
        "mixed.0.a": 1,
        "plain": [],
        "custom.deep.key": 1,
        "custom.llm.model_name": "x",
        "numbered.0": "a",
        "numbered.1": "b",
        "value": 1,
        "value.beside": 2,
    }
    assert semantic_columns(stored) == {
        "mixed": [{"a": 1}],
        "plain": [],
        "custom": {"deep": {"key": 1}, "llm.model_name": "x"},
        "numbered": {"0": "a", "1": "b"},
        "metadata": {"gone": None, "kept": {}},
        "value": 1,
        "value.beside": 2,
    }


def test_json_carrying_text_is_parsed_for_the_dataframe() -> None:
    stored = {"metadata": '{"tier": "gold"}', "tool": {"parameters": "not json"}}

    assert semantic_columns(stored) == {
        "metadata": {"tier": "gold"},
        "tool.parameters": "not json",
    }


def test_an_exploded_items_objects_are_walked_and_its_lists_kept() -> None:
    item = {"document": {"id": "d1", "metadata": {"source": "wiki"}, "tags": ["x"], "no": None}}

    assert dotted_object(item) == {
        "document.id": "d1",
        "document.metadata.source": "wiki",
        "document.tags": ["x"],
    }
