"""Nesting flat attributes fast, by replaying the layout of key sequences seen before.

Spans from one instrumentation carry the same keys in the same order, span after span. The first
time a key sequence is seen, :func:`spyglass_spans.nesting.nest` works out the nested document's
shape (which objects and lists exist, where each value goes); that shape is kept as a
:class:`Layout`, a flat list of steps. Later spans with the same keys only replay the steps, which
is about twice as fast as nesting them again and gives the same document (key order within an
object may differ, which JSON does not care about).

A layout is made the second time its key sequence is seen, so a sender whose keys never repeat
(ids in attribute names) costs plain nesting, not nesting plus a layout. What can change the shape
for the same keys is handled on the slow path too: a value that is None or a JSON-carrying
attribute that parses to an empty value (both are left out, so a longer key may nest where it
would otherwise sit dotted beside them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spyglass_spans.nesting import json_depth_limit, key_parts, nest, parse_json
from spyglass_spans.rejections import SAFE_KEY_LENGTH

_LAYOUTS_LIMIT = 4096
# Both are emptied when full: a few thousand key sequences cover the instrumentations of a fleet.
_layouts: dict[tuple[str, ...], Layout] = {}
_seen_once: set[tuple[str, ...]] = set()


@dataclass(frozen=True)
class Layout:
    """How to build the nested document of one key sequence.

    The document's objects and lists have numbered slots, the root being 0. Objects are made
    first; lists last, inner ones first, from objects that are already filled.
    """

    slot_count: int
    """Objects and lists of the document, the root included."""
    nesting: tuple[tuple[int, str, int], ...]
    """(object, key, object it holds there) for every object held by another object."""
    values: tuple[tuple[int, str], ...]
    """Per key, in order: (the object its value goes in, the key there)."""
    lists: tuple[tuple[int, tuple[int, ...], int, str], ...]
    """(its slot, the slots of its elements, the object it goes in or -1, its key there)."""
    json_positions: tuple[tuple[int, int], ...]
    """Positions of the keys whose text is parsed as JSON, with the depth their JSON may take."""
    long_keys: bool
    """Some key is long enough to nest the document too deep (``SAFE_KEY_LENGTH``)."""


class _Slot:
    """Stands for the value at a position while a layout is worked out."""

    __slots__ = ("position",)

    def __init__(self, position: int) -> None:
        self.position = position


def unflatten(attributes: dict[str, Any]) -> dict[str, Any]:
    """The nested document of flat ``attributes``, as :func:`spyglass_spans.nesting.nest` makes it.

    See :mod:`spyglass_spans.nesting` for the rules (lists, collisions, JSON-string attributes).
    """
    return unflatten_noting_long_keys(attributes)[0]


def unflatten_noting_long_keys(attributes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """:func:`unflatten`, and whether a key is over ``SAFE_KEY_LENGTH`` (known per layout)."""
    keys = tuple(attributes)
    layout = _layouts.get(keys)
    if layout is None:
        if keys not in _seen_once:
            if len(_seen_once) >= _LAYOUTS_LIMIT:
                _seen_once.clear()
            _seen_once.add(keys)
            return nest(attributes), _has_long_key(keys)
        _seen_once.discard(keys)
        layout = _layout_of(keys)
    values = list(attributes.values())
    for position, depth_limit in layout.json_positions:
        value = values[position]
        if type(value) is str:
            values[position] = parse_json(value, depth_limit)
    if None in values:
        return nest(attributes), layout.long_keys
    slots: list[Any] = [{} for _ in range(layout.slot_count)]
    for parent, key, child in layout.nesting:
        slots[parent][key] = slots[child]
    for (index, key), value in zip(layout.values, values, strict=True):
        slots[index][key] = value
    for slot, elements, parent, key in layout.lists:
        made = slots[slot] = [slots[element] for element in elements]
        if parent >= 0:
            slots[parent][key] = made
    document: dict[str, Any] = slots[0]
    return document, layout.long_keys


def _has_long_key(keys: tuple[str, ...]) -> bool:
    return max(map(len, keys), default=0) > SAFE_KEY_LENGTH


def _layout_of(keys: tuple[str, ...]) -> Layout:
    document = nest({key: _Slot(position) for position, key in enumerate(keys)})
    slot_count = 1
    nesting_steps: list[tuple[int, str, int]] = []
    value_steps: list[tuple[int, str]] = [(0, "")] * len(keys)
    list_steps: list[tuple[int, tuple[int, ...], int, str]] = []

    def new_slot() -> int:
        nonlocal slot_count
        slot_count += 1
        return slot_count - 1

    def visit_object(node: dict[str, Any], slot: int) -> None:
        for key, child in node.items():
            if isinstance(child, _Slot):
                value_steps[child.position] = (slot, key)
            elif isinstance(child, dict):
                child_slot = new_slot()
                nesting_steps.append((slot, key, child_slot))
                visit_object(child, child_slot)
            else:
                visit_list(child, slot, key)

    def visit_list(items: list[Any], parent: int, key: str) -> int:
        # A list holds objects, or lists of objects; never values.
        elements = []
        for element in items:
            if isinstance(element, dict):
                elements.append(new_slot())
                visit_object(element, elements[-1])
            else:
                elements.append(visit_list(element, -1, ""))
        slot = new_slot()
        list_steps.append((slot, tuple(elements), parent, key))
        return slot

    visit_object(document, 0)
    layout = Layout(
        slot_count=slot_count,
        nesting=tuple(nesting_steps),
        values=tuple(value_steps),
        lists=tuple(list_steps),
        json_positions=tuple(
            (position, json_depth_limit(key))
            for position, key in enumerate(keys)
            if key_parts(key)[2]
        ),
        long_keys=_has_long_key(keys),
    )
    if len(_layouts) >= _LAYOUTS_LIMIT:
        _layouts.clear()
    _layouts[keys] = layout
    return layout
