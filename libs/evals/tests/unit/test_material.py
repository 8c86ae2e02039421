"""What an evaluator gets from a span, and input mappings reaching into it."""

from __future__ import annotations

from spyglass_evals import check_input_mapping, map_inputs
from spyglass_evals.material import span_material

SPAN = {
    "input": {"value": "Where is my order?"},
    "output": {"value": '{"answer": "shipped"}'},
    "metadata": '{"tier": "gold"}',
    "llm": {
        "model_name": "gpt-4o",
        "output_messages": [
            {
                "message": {
                    "tool_calls": [
                        {"tool_call": {"function": {"name": "lookup", "arguments": '{"id": 7}'}}}
                    ]
                }
            }
        ],
    },
    "retrieval": {"documents": [{"document": {"content": "a"}}, {"document": {"content": "b"}}]},
}


def test_a_spans_material_and_a_mapping_into_its_attributes() -> None:
    material = span_material(SPAN)
    mapping = check_input_mapping(
        {"model": "attributes.llm.model_name", "tier": "metadata.tier", "gone": "attributes.x.y"}
    )

    inputs = map_inputs(material, mapping)

    assert inputs["input"] == "Where is my order?"
    assert inputs["context"] == "a\n\nb"
    assert inputs["tool_calls"] == [{"name": "lookup", "arguments": {"id": 7}}]
    assert (inputs["model"], inputs["tier"], inputs["gone"]) == ("gpt-4o", "gold", None)
    assert "attributes" not in inputs


def test_attributes_of_any_shape_give_empty_material() -> None:
    for hostile in (None, "text", [1, 2], {"input": "not an object", "llm": [None]}):
        material = span_material(hostile)
        assert material["output"] is None and "tool_calls" not in material
