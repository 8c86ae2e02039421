"""``Annotation`` and ``AnnotationSummary``: annotations as they are, and summed up by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ariadne import ObjectType

from spyglass_query_api.queries.annotations import AnnotationNode
from spyglass_query_api.queries.ids import global_id

annotation = ObjectType("Annotation")


@annotation.field("id")
def resolve_annotation_id(node: AnnotationNode, _: Any) -> str:
    """The GlobalID, of the annotation's table's type (``SpanAnnotation``, ...)."""
    return global_id(node.type_name, node.id)


def summaries(annotations: Sequence[AnnotationNode]) -> list[dict[str, Any]]:
    """One summary per annotation name, in the order the names first appear."""
    by_name: dict[str, list[AnnotationNode]] = {}
    for node in annotations:
        by_name.setdefault(node.name, []).append(node)
    result = []
    for name, group in by_name.items():
        scores = [node.score for node in group if node.score is not None]
        labels = Counter(node.label for node in group if node.label is not None)
        labelled = sum(labels.values())
        result.append(
            {
                "name": name,
                "count": len(group),
                "mean_score": sum(scores) / len(scores) if scores else None,
                "label_fractions": [
                    {"label": label, "fraction": count / labelled}
                    for label, count in sorted(labels.items())
                ],
            }
        )
    return result
