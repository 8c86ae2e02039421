"""Every table of the Spyglass schema, on one ``metadata``."""

from spyglass_db.models.annotations import (
    ANNOTATION_SOURCES,
    ANNOTATOR_KINDS,
    AnnotationConfig,
    DocumentAnnotation,
    ProjectAnnotationConfig,
    ProjectSessionAnnotation,
    SpanAnnotation,
    TraceAnnotation,
)
from spyglass_db.models.base import metadata
from spyglass_db.models.datasets import (
    REVISION_KINDS,
    Dataset,
    DatasetDatasetLabel,
    DatasetExample,
    DatasetExampleRevision,
    DatasetLabel,
    DatasetSplit,
    DatasetSplitExample,
    DatasetVersion,
)
from spyglass_db.models.experiments import (
    EXPERIMENT_PROJECT_PREFIX,
    Experiment,
    ExperimentDatasetExample,
    ExperimentDatasetSplit,
    ExperimentRun,
    ExperimentRunAnnotation,
    ExperimentTag,
)
from spyglass_db.models.pending_annotations import PENDING_TARGET_KINDS, PendingAnnotation
from spyglass_db.models.projects import DEFAULT_PROJECT_NAME, Project
from spyglass_db.models.prompts import (
    IDENTIFIER_PATTERN,
    TEMPLATE_FORMATS,
    TEMPLATE_TYPES,
    Prompt,
    PromptVersion,
    PromptVersionTag,
    Secret,
)
from spyglass_db.models.retention import (
    DEFAULT_RETENTION_CRON,
    DEFAULT_RETENTION_POLICY_ID,
    DEFAULT_RETENTION_POLICY_NAME,
    TraceRetentionPolicy,
)
from spyglass_db.models.tracing import SPAN_STATUS_CODES, ProjectSession, Span, Trace

__all__ = [
    "ANNOTATION_SOURCES",
    "ANNOTATOR_KINDS",
    "DEFAULT_PROJECT_NAME",
    "DEFAULT_RETENTION_CRON",
    "DEFAULT_RETENTION_POLICY_ID",
    "DEFAULT_RETENTION_POLICY_NAME",
    "EXPERIMENT_PROJECT_PREFIX",
    "IDENTIFIER_PATTERN",
    "PENDING_TARGET_KINDS",
    "REVISION_KINDS",
    "SPAN_STATUS_CODES",
    "TEMPLATE_FORMATS",
    "TEMPLATE_TYPES",
    "AnnotationConfig",
    "Dataset",
    "DatasetDatasetLabel",
    "DatasetExample",
    "DatasetExampleRevision",
    "DatasetLabel",
    "DatasetSplit",
    "DatasetSplitExample",
    "DatasetVersion",
    "DocumentAnnotation",
    "Experiment",
    "ExperimentDatasetExample",
    "ExperimentDatasetSplit",
    "ExperimentRun",
    "ExperimentRunAnnotation",
    "ExperimentTag",
    "PendingAnnotation",
    "Project",
    "ProjectAnnotationConfig",
    "ProjectSession",
    "ProjectSessionAnnotation",
    "Prompt",
    "PromptVersion",
    "PromptVersionTag",
    "Secret",
    "Span",
    "SpanAnnotation",
    "Trace",
    "TraceAnnotation",
    "TraceRetentionPolicy",
    "metadata",
]
