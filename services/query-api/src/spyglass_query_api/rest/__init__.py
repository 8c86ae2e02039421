"""The Phoenix-compatible REST API (``/v1``): one module per resource."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, Router, get
from litestar.types import ControllerRouterHandler

from spyglass_auth import Access
from spyglass_query_api.dependencies import connection_provider
from spyglass_query_api.rest.annotation_configs import AnnotationConfigController
from spyglass_query_api.rest.annotations import AnnotationController
from spyglass_query_api.rest.api_keys import ApiKeyController
from spyglass_query_api.rest.auth_routes import AUTH_HANDLERS
from spyglass_query_api.rest.chat_completions import create_chat_completion
from spyglass_query_api.rest.dataset_evaluators import DatasetEvaluatorController
from spyglass_query_api.rest.dataset_exports import DatasetExportController
from spyglass_query_api.rest.dataset_labels import DatasetLabelController
from spyglass_query_api.rest.dataset_splits import DatasetSplitController
from spyglass_query_api.rest.datasets import DatasetController
from spyglass_query_api.rest.evaluation_rules import EvaluationRuleController
from spyglass_query_api.rest.evaluator_tests import test_evaluator
from spyglass_query_api.rest.evaluators import EvaluatorController
from spyglass_query_api.rest.experiment_jobs import ExperimentJobController
from spyglass_query_api.rest.experiment_runs import ExperimentRunController
from spyglass_query_api.rest.experiments import ExperimentController
from spyglass_query_api.rest.guard import input_guard
from spyglass_query_api.rest.ingest_keys import IngestKeyController
from spyglass_query_api.rest.notes import NoteController
from spyglass_query_api.rest.otlp_spans import OtlpSpanController
from spyglass_query_api.rest.project_annotations import ProjectAnnotationController
from spyglass_query_api.rest.projects import ProjectController
from spyglass_query_api.rest.prompts import PromptController
from spyglass_query_api.rest.retention import RetentionController
from spyglass_query_api.rest.secrets import SecretController
from spyglass_query_api.rest.sessions import SessionController
from spyglass_query_api.rest.span_evaluations import SpanEvaluationController
from spyglass_query_api.rest.span_query import SpanQueryController
from spyglass_query_api.rest.span_upload import create_spans
from spyglass_query_api.rest.spans import SpanController
from spyglass_query_api.rest.traces import TraceController
from spyglass_query_api.rest.users import UserController

PHOENIX_COMPATIBLE_VERSION = "20.26.1"
"""The Phoenix release whose REST behaviour we match. ``arize-phoenix-client`` gates features
on the server's version, so this must be at least the version that introduced each feature we
serve (the highest gate in client 3.x is 20.8.0)."""

VERSION_HEADER = "x-phoenix-server-version"


@get(
    "/arize_phoenix_version",
    media_type=MediaType.TEXT,
    summary="Phoenix version served",
    opt={"access": Access.PUBLIC},
)
async def phoenix_version() -> str:
    """The Phoenix version this server is compatible with, as Phoenix answers it (plain text)."""
    return PHOENIX_COMPATIBLE_VERSION


async def version_header(response: Response[Any]) -> Response[Any]:
    """Every response names the compatible Phoenix version, as Phoenix's own do.

    A coroutine: litestar runs a plain function hook in its thread pool, which cost a fifth
    of a small request's CPU time."""
    response.headers[VERSION_HEADER] = PHOENIX_COMPATIBLE_VERSION
    return response


def rest_handlers() -> list[ControllerRouterHandler]:
    """Every REST route handler, behind the edge's check of unstorable input (``guard.py``).

    The span upload's body is exempt from that check: it makes span data safe itself, as the
    OTLP receiver does, rather than refusing the request.
    """
    return [
        Router(
            "/",
            route_handlers=[
                phoenix_version,
                ProjectController,
                SpanController,
                TraceController,
                SessionController,
                create_spans,
                OtlpSpanController,
                AnnotationController,
                NoteController,
                ProjectAnnotationController,
                AnnotationConfigController,
                SpanQueryController,
                RetentionController,
                ExperimentController,
                ExperimentRunController,
                DatasetController,
                DatasetLabelController,
                DatasetSplitController,
                DatasetExportController,
                PromptController,
                ExperimentJobController,
                SecretController,
                create_chat_completion,
                EvaluatorController,
                test_evaluator,
                DatasetEvaluatorController,
                EvaluationRuleController,
                SpanEvaluationController,
                UserController,
                ApiKeyController,
                IngestKeyController,
                *AUTH_HANDLERS,
            ],
            before_request=input_guard(bodies_made_safe=[create_spans]),
        )
    ]


__all__ = [
    "PHOENIX_COMPATIBLE_VERSION",
    "VERSION_HEADER",
    "connection_provider",
    "rest_handlers",
    "version_header",
]
