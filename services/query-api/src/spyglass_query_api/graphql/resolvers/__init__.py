"""Resolvers, one module per type of the schema, and the bindables to build it with."""

from __future__ import annotations

from ariadne import MutationType, ObjectType, QueryType

from spyglass_query_api.graphql.resolvers.annotations import annotation
from spyglass_query_api.graphql.resolvers.dataset_mutations import dataset_mutation
from spyglass_query_api.graphql.resolvers.dataset_spans import dataset_span_mutation
from spyglass_query_api.graphql.resolvers.datasets import (
    dataset,
    dataset_example,
    dataset_example_revision,
    dataset_label,
    dataset_query,
    dataset_split,
    dataset_version,
    dataset_version_diff,
)
from spyglass_query_api.graphql.resolvers.experiment_jobs import (
    experiment_job,
    experiment_with_job,
)
from spyglass_query_api.graphql.resolvers.experiments import (
    dataset_experiments,
    experiment,
    experiment_comparison,
    experiment_example,
    experiment_mutation,
    experiment_query,
    experiment_run,
    experiment_run_annotation,
)
from spyglass_query_api.graphql.resolvers.projects import project
from spyglass_query_api.graphql.resolvers.prompts import (
    prompt,
    prompt_query,
    prompt_version,
    prompt_version_tag,
)
from spyglass_query_api.graphql.resolvers.query import query
from spyglass_query_api.graphql.resolvers.retention import (
    project_retention,
    retention_mutation,
    retention_policy,
    retention_query,
)
from spyglass_query_api.graphql.resolvers.sessions import session
from spyglass_query_api.graphql.resolvers.spans import document, span, span_event
from spyglass_query_api.graphql.resolvers.traces import trace


def object_types() -> list[ObjectType | QueryType | MutationType]:
    """Every type with resolvers of its own."""
    return [
        query,
        project,
        trace,
        span,
        span_event,
        document,
        session,
        annotation,
        retention_policy,
        project_retention,
        retention_query,
        retention_mutation,
        dataset_query,
        dataset,
        dataset_version,
        dataset_example,
        dataset_example_revision,
        dataset_split,
        dataset_label,
        dataset_version_diff,
        dataset_mutation,
        dataset_span_mutation,
        experiment,
        experiment_run,
        experiment_run_annotation,
        experiment_example,
        experiment_comparison,
        experiment_query,
        experiment_mutation,
        dataset_experiments,
        experiment_job,
        experiment_with_job,
        prompt_query,
        prompt,
        prompt_version,
        prompt_version_tag,
    ]
