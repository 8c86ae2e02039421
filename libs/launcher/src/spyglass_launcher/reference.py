"""The configuration reference: every ``SPYGLASS_*`` variable, generated from the settings classes.

The README's configuration table is this output; a test fails when the two drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from spyglass_core.settings import env_name
from spyglass_eval_worker.settings import EvalWorkerSettings
from spyglass_experiment_runner.settings import ExperimentRunnerSettings
from spyglass_gateway.settings import GatewaySettings
from spyglass_ingest.settings import ReceiverSettings, WriterSettings
from spyglass_launcher.settings import LauncherSettings
from spyglass_query_api.settings import QueryApiSettings

SETTINGS_BY_PROCESS: dict[str, type[BaseSettings]] = {
    "launcher (`make run`)": LauncherSettings,
    "query-api": QueryApiSettings,
    "ingest receiver": ReceiverSettings,
    "ingest writer": WriterSettings,
    "eval-worker": EvalWorkerSettings,
    "experiment-runner": ExperimentRunnerSettings,
    "gateway": GatewaySettings,
}


def _aliases(settings_cls: type[BaseSettings], field: str, info: FieldInfo) -> list[str]:
    choices = getattr(info.validation_alias, "choices", None) or []
    primary = env_name(settings_cls, field)
    return [c for c in choices if isinstance(c, str) and c.isupper() and c != primary]


def _rows(settings_cls: type[BaseSettings]) -> Iterator[tuple[str, str, str, str]]:
    for field, info in settings_cls.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            yield from _rows(annotation)
            continue
        if info.default_factory is not None:
            default = "`~/.local/share/spyglass`" if field == "home" else "(computed)"
        elif info.default is None:
            default = "(unset)"
        else:
            default = f"`{info.default}`"
        aliases = ", ".join(f"`{alias}`" for alias in _aliases(settings_cls, field, info))
        yield env_name(settings_cls, field), default, info.description or "", aliases


def configuration_table() -> str:
    """A Markdown table of every variable: name, default, meaning, Phoenix alias, processes."""
    variables: dict[str, tuple[str, str, str, list[str]]] = {}
    for process, settings_cls in SETTINGS_BY_PROCESS.items():
        for name, default, description, aliases in _rows(settings_cls):
            entry = variables.setdefault(name, (default, description, aliases, []))
            entry[3].append(process.split(" (")[0])
    lines = [
        "| variable | default | meaning | also read from | used by |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(variables):
        default, description, aliases, processes = variables[name]
        users = "all" if len(processes) == len(SETTINGS_BY_PROCESS) - 1 else ", ".join(processes)
        lines.append(f"| `{name}` | {default} | {description} | {aliases} | {users} |")
    return "\n".join(lines)
