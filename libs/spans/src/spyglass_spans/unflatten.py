"""Nesting flat attributes fast, by replaying the layout of key sequences seen before.

Spans from one instrumentation carry the same keys in the same order, span after span. The first
time a key sequence is seen, :func:`spyglass_spans.nesting.nest` works out the nested document's
shape (which objects and lists exist, where each value goes); that shape is kept as a
:class:`Layout`, a flat list of steps. Later spans with the same keys only replay the steps, which
is about twice as fast as nesting them again and gives the same document (key order within an
object may differ, which JSON does not care about).

What can change the shape for the same keys is handled on the slow path: a value that is None or
a JSON-carrying attribute that parses to an empty value (both are left out, so a longer key may
nest where it would otherwise sit dotted beside them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spyglass_spans.nesting import key_parts, nest, parse_json

_LAYOUTS_LIMIT = 4096
_layouts: dict[tuple[str, ...], Layout] = {}


@dataclass(frozen=True)
class Layout:
    """How to build the nested document of one key sequence.

    Objects are numbered in the order they are made, the root being 0.
    """

    objects: tuple[tuple[int, str], ...]
    """Per object after the root: (the object it goes in, its key); -1 for a list element."""
    values: tuple[tuple[int, str], ...]
    """Per key, in order: (the object its value goes in, the key there)."""
    lists: tuple[tuple[int, str, tuple[int, ...]], ...]
    """Lists: (the object it goes in, its key, the objects that are its elements, in order)."""
    json_positions: tuple[int, ...]
    """Positions of the keys whose text is parsed as JSON."""


class _Slot:
    """Stands for the value at a position while a layout is worked out."""

    __slots__ = ("position",)

    def __init__(self, position: int) -> None:
        self.position = position


def unflatten(attributes: dict[str, Any]) -> dict[str, Any]:
    """The nested document of flat ``attributes``, as :func:`spyglass_spans.nesting.nest` makes it.

    See :mod:`spyglass_spans.nesting` for the rules (lists, collisions, JSON-string attributes).
    """
    keys = tuple(attributes)
    layout = _layouts.get(keys)
    if layout is None:
        layout = _layout_of(keys)
    values = list(attributes.values())
    for position in layout.json_positions:
        value = values[position]
        if type(value) is str:
            values[position] = parse_json(value)
    if None in values:
        return nest(attributes)
    objects: list[dict[str, Any]] = [{}]
    append = objects.append
    for parent, key in layout.objects:
        made: dict[str, Any] = {}
        if parent >= 0:
            objects[parent][key] = made
        append(made)
    for (index, key), value in zip(layout.values, values, strict=True):
        objects[index][key] = value
    for parent, key, elements in layout.lists:
        objects[parent][key] = [objects[element] for element in elements]
    return objects[0]


def _layout_of(keys: tuple[str, ...]) -> Layout:
    document = nest({key: _Slot(position) for position, key in enumerate(keys)})
    object_steps: list[tuple[int, str]] = []
    value_steps: list[tuple[int, str]] = [(0, "")] * len(keys)
    list_steps: list[tuple[int, str, tuple[int, ...]]] = []

    def visit(node: dict[str, Any], index: int) -> None:
        for key, child in node.items():
            if isinstance(child, _Slot):
                value_steps[child.position] = (index, key)
            elif isinstance(child, dict):
                object_steps.append((index, key))
                visit(child, len(object_steps))
            else:  # a list, of objects only
                elements = []
                for element in child:
                    object_steps.append((-1, ""))
                    elements.append(len(object_steps))
                    visit(element, len(object_steps))
                list_steps.append((index, key, tuple(elements)))

    visit(document, 0)
    layout = Layout(
        objects=tuple(object_steps),
        values=tuple(value_steps),
        lists=tuple(list_steps),
        json_positions=tuple(position for position, key in enumerate(keys) if key_parts(key)[2]),
    )
    if len(_layouts) >= _LAYOUTS_LIMIT:
        _layouts.clear()
    _layouts[keys] = layout
    return layout
