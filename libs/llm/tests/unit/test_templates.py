"""Templates: MUSTACHE and F_STRING fill-ins as Phoenix does them; refusals name what is wrong."""

from __future__ import annotations

import pytest

from spyglass_llm import (
    ChatMessage,
    MissingVariablesError,
    TemplateError,
    messages_variables,
    render_messages,
    render_template,
    request_from_prompt_version,
    template_variables,
)
from spyglass_llm.chat import TextPart, ToolCallPart


def test_mustache_substitutes_each_variable_with_or_without_spaces() -> None:
    text = render_template(
        "Hi {{name}}, {{ name }} asks: {{  question  }}",
        "MUSTACHE",
        {"name": "Ada", "question": "why?"},
    )

    assert text == "Hi Ada, Ada asks: why?"


def test_mustache_has_no_sections_and_keeps_escaped_and_unknown_syntax() -> None:
    template = "{{#items}}x{{/items}} \\{{ literal }} {{ value }} {{{ raw }}}"

    assert template_variables(template, "MUSTACHE") == ["value", "raw"]
    text = render_template(template, "MUSTACHE", {"value": "v", "raw": "r"})
    assert text == "{{#items}}x{{/items}} \\{{ literal }} v {r}"


def test_a_value_holding_a_placeholder_is_not_filled_in_again() -> None:
    text = render_template("{{ a }} {{ b }}", "MUSTACHE", {"a": "{{ b }}", "b": "B"})

    assert text == "{{ b }} B"


def test_values_that_are_not_strings_are_written_as_json() -> None:
    text = render_template(
        "{{ document }} {{ count }} {{ flag }} {{ nothing }}",
        "MUSTACHE",
        {"document": {"a": [1, 2]}, "count": 3, "flag": True, "nothing": None},
    )

    assert text == '{"a":[1,2]} 3 true null'


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(MissingVariablesError) as caught:
        render_template("{{ question }} {{ context }} {{ answer }}", "MUSTACHE", {"context": "c"})

    assert caught.value.missing == ("answer", "question")
    assert "answer, question" in str(caught.value)


def test_f_string_fills_fields_and_keeps_doubled_braces() -> None:
    text = render_template(
        '{{"json": true}} {name} {name!r} {score:>5}', "F_STRING", {"name": "Ada", "score": "7"}
    )

    assert text == "{\"json\": true} Ada 'Ada'     7"
    assert template_variables("{a} {b} {a} {{c}}", "F_STRING") == ["a", "b"]


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{value.__class__}", "not a plain variable name"),
        ("{value[0]}", "not a plain variable name"),
        ("{}", "named fields only"),
        ("{0}", "named fields only"),
        ("{value", "invalid F_STRING template"),
        ("value}", "invalid F_STRING template"),
        ("{value:>99999999}", "format width"),
        ("{value:{width}}", "nested fields"),
    ],
)
def test_f_string_refuses_fields_that_reach_inside_values_or_cannot_be_read(
    template: str, says: str
) -> None:
    with pytest.raises(TemplateError, match=says):
        render_template(template, "F_STRING", {"value": "x", "width": "3"})


def test_f_string_missing_variables_are_named() -> None:
    with pytest.raises(MissingVariablesError) as caught:
        render_template("{a} {b}", "f_string", {})

    assert caught.value.missing == ("a", "b")


def test_none_format_leaves_the_text_alone() -> None:
    assert render_template("{{ a }} {b}", "NONE", {}) == "{{ a }} {b}"
    assert template_variables("{{ a }} {b}", "NONE") == []


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(TemplateError, match="MUSTACHE, F_STRING or NONE"):
        render_template("x", "JINJA", {})


def test_chat_messages_are_filled_in_text_parts_only_and_all_missing_named() -> None:
    messages = [
        ChatMessage(role="system", content="You answer about {{ topic }}."),
        ChatMessage(
            role="assistant",
            content=[
                TextPart(text="Looking up {{ query }}"),
                ToolCallPart.model_validate(
                    {
                        "tool_call_id": "call_1",
                        "tool_call": {"name": "search", "arguments": '{"q": "{{ query }}"}'},
                    }
                ),
            ],
        ),
        ChatMessage(role="user", content="{{ question }}"),
    ]

    assert messages_variables(messages, "MUSTACHE") == ["topic", "query", "question"]
    with pytest.raises(MissingVariablesError) as caught:
        render_messages(messages, "MUSTACHE", {"query": "q"})
    assert caught.value.missing == ("question", "topic")

    rendered = render_messages(messages, "MUSTACHE", {"topic": "t", "query": "q", "question": "?"})
    assert rendered[0].content == "You answer about t."
    assert rendered[1].text == "Looking up q"
    assert rendered[1].tool_calls[0].tool_call.arguments == '{"q": "{{ query }}"}'
    assert rendered[2].content == "?"


def test_a_stored_prompt_version_becomes_a_request() -> None:
    request = request_from_prompt_version(
        model_provider="ANTHROPIC",
        model_name="claude-sonnet-4-5",
        template={"type": "string", "template": "Summarize {text}"},
        template_format="F_STRING",
        variables={"text": "this"},
        invocation_parameters={"type": "anthropic", "anthropic": {"max_tokens": 64}},
        tools=None,
        response_format=None,
    )

    assert request.provider == "ANTHROPIC"
    assert request.messages[0].role == "user"
    assert request.messages[0].content == "Summarize this"
    assert request.invocation_parameters == {"max_tokens": 64}
