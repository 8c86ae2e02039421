"""Make each span row cheaper to write: no foreign keys on spans, a narrower GIN index.

Measured by COPYing benchmark spans into the table, these two were half of the insert cost:

* The foreign keys to ``traces`` and ``projects`` ran two lookups and a row lock per inserted
  span. The writer always upserts a span's trace (and project) before the span, so they guarded
  nothing it could get wrong; deletes now remove a project's or a trace's spans explicitly
  (``spyglass_db.deletion``) instead of by cascade.
* The GIN index covered every attribute, including the long texts (input and output values,
  LLM messages, retrieved documents) that nobody matches by equality. It now covers
  ``span_filter_attributes(attributes)``: the attributes without those texts. Filters that test
  equality or containment on the rest (metadata, session and user ids, tags, model names,
  custom attributes) use it by writing the same expression.
* One index on ``(trace_rowid, parent_id)`` replaces the two on ``trace_rowid`` and
  ``parent_id``: spans are looked up by trace, and children by trace and parent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One SELECT of one expression, so that PostgreSQL inlines it into the index and into queries.
CREATE_FILTER_FUNCTION = """
CREATE FUNCTION span_filter_attributes(attributes jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
SELECT CASE
    WHEN attributes ? 'llm' THEN jsonb_set(
        attributes - ARRAY['input', 'output', 'retrieval', 'embedding', 'reranker'],
        '{llm}',
        (attributes -> 'llm') - ARRAY[
            'input_messages', 'output_messages', 'prompts', 'prompt_template', 'tools',
            'invocation_parameters'
        ]
    )
    ELSE attributes - ARRAY['input', 'output', 'retrieval', 'embedding', 'reranker']
END
$$
"""


def upgrade() -> None:
    op.drop_constraint("fk_spans_trace_rowid_traces", "spans", type_="foreignkey")
    op.drop_constraint("fk_spans_project_rowid_projects", "spans", type_="foreignkey")
    op.drop_index("ix_spans_attributes", table_name="spans")
    op.drop_index("ix_spans_trace_rowid", table_name="spans")
    op.drop_index("ix_spans_parent_id", table_name="spans")
    op.create_index("ix_spans_trace_rowid_parent_id", "spans", ["trace_rowid", "parent_id"])
    op.execute(CREATE_FILTER_FUNCTION)
    op.execute(
        "CREATE INDEX ix_spans_filter_attributes ON spans "
        "USING gin (span_filter_attributes(attributes) jsonb_path_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_spans_filter_attributes", table_name="spans")
    op.execute("DROP FUNCTION span_filter_attributes(jsonb)")
    op.drop_index("ix_spans_trace_rowid_parent_id", table_name="spans")
    op.create_index("ix_spans_parent_id", "spans", ["parent_id"])
    op.create_index("ix_spans_trace_rowid", "spans", ["trace_rowid"])
    op.execute("CREATE INDEX ix_spans_attributes ON spans USING gin (attributes jsonb_path_ops)")
    op.execute("DELETE FROM spans WHERE project_rowid NOT IN (SELECT id FROM projects)")
    op.execute("DELETE FROM spans WHERE trace_rowid NOT IN (SELECT id FROM traces)")
    op.create_foreign_key(
        "fk_spans_project_rowid_projects",
        "spans",
        "projects",
        ["project_rowid"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_spans_trace_rowid_traces",
        "spans",
        "traces",
        ["trace_rowid"],
        ["id"],
        ondelete="CASCADE",
    )
