"""The span filter language: Phoenix's Python-expression filters, compiled to SQL.

``compile_span_filter`` turns an expression such as
``span_kind == 'LLM' and llm.token_count.total > 100`` into a SQL condition over the ``spans``
row aliased ``s`` (and, where the expression needs it, correlated subqueries on ``s``). The
expression is parsed with ``ast`` and never evaluated; every literal, attribute key and
annotation name becomes a bind parameter, so no part of the expression is spliced into SQL.

The language (Phoenix's, see ``src/phoenix/trace/dsl``):

* names: ``span_id``, ``trace_id`` (``context.span_id``, ``context.trace_id``), ``parent_id``,
  ``name``, ``span_kind``, ``status_code``, ``status_message`` (text; ``span_kind`` and
  ``status_code`` compare case-insensitively); ``latency_ms``,
  ``cumulative_llm_token_count_{prompt,completion,total}``, ``llm_token_count_{...}`` (numbers);
  ``start_time``, ``end_time`` (times, compared with ISO 8601 text);
* attributes by dotted path (``llm.model_name``, ``input.value``) or key
  (``metadata['tier']``, ``attributes['llm.model_name']``, ``attributes[['a', 'b.c']]``);
* annotations: ``annotations['name'].label`` / ``.score`` / ``.explanation`` (alias ``evals``;
  ``trace_annotations`` for the span's trace); ``annotations['name']`` alone: it exists;
* ``parent_id is None`` (roots) and ``parent_span is None`` (roots and orphans);
* ``== != < <= > >=`` (chainable), ``in`` / ``not in`` a list, a text (substring) or an array
  attribute, ``is None`` / ``is not None``, ``+ - * /`` on numbers (``+`` joins texts),
  ``and`` / ``or`` / ``not``.
"""

from __future__ import annotations

import re

from spyglass_db.filters.compiler import FilterCompiler, root_span_condition
from spyglass_db.filters.condition import SqlCondition
from spyglass_db.filters.errors import FilterExpressionError
from spyglass_db.filters.parsing import parse_expression

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def compile_span_filter(expression: str, *, span: str = "s", prefix: str = "f") -> SqlCondition:
    """Compile ``expression`` into a condition on the spans row aliased ``span``.

    Bind parameter names start with ``prefix`` so that several conditions can share a query.
    An empty or blank expression is ``TRUE``.

    Raises:
        FilterExpressionError: the expression is not in the language (position and reason).
        ValueError: ``span`` or ``prefix`` is not a plain SQL identifier (a programming error).
    """
    if not _IDENTIFIER.fullmatch(span) or not _IDENTIFIER.fullmatch(prefix):
        raise ValueError(f"span alias and prefix must be identifiers: {span!r}, {prefix!r}")
    if not expression.strip():
        return SqlCondition("TRUE")
    root, positions = parse_expression(expression)
    compiler = FilterCompiler(positions, span, prefix)
    sql = compiler.condition(root)
    # a literal compared by containment leaves its attribute's path parameter unused
    referenced = set(re.findall(r":(\w+)", sql))
    used = {name: value for name, value in compiler.parameters.items() if name in referenced}
    return SqlCondition(sql, used)


__all__ = [
    "FilterExpressionError",
    "SqlCondition",
    "compile_span_filter",
    "root_span_condition",
]
