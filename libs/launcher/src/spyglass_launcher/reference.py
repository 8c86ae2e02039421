"""The configuration reference: every ``SPYGLASS_*`` variable, generated from the settings classes.

The README's configuration table is this output; a test fails when the two drift apart. The
services' settings classes come from the specs they declare as ``spyglass.services`` entry points
(``spyglass_core.services``), so this library names no service; a service that is not installed
is missing from the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from spyglass_core.services import discover_services
from spyglass_core.settings import env_name
from spyglass_launcher.settings import LauncherSettings


def settings_by_process() -> dict[str, type[BaseSettings]]:
    """The settings class of the launcher and of every installed process, by its title."""
    return {
        "launcher (`make run`)": LauncherSettings,
        **{spec.title: spec.settings for spec in discover_services()},
    }


def __getattr__(name: str) -> object:
    # ``SETTINGS_BY_PROCESS``, computed when asked for: discovery imports every service's
    # settings, and an installation fault must surface as a message, not at import time.
    if name == "SETTINGS_BY_PROCESS":
        return settings_by_process()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        elif info.default is None or info.default == ():
            default = "(unset)"
        elif isinstance(info.default, tuple):  # a comma-separated list, as it is written
            default = f"`{','.join(info.default)}`"
        else:
            default = f"`{info.default}`"
        aliases = ", ".join(f"`{alias}`" for alias in _aliases(settings_cls, field, info))
        yield env_name(settings_cls, field), default, info.description or "", aliases


def configuration_table() -> str:
    """A Markdown table of every variable: name, default, meaning, Phoenix alias, processes.

    A server URL that the launcher leaves unset (to run that server embedded) shows the services'
    own default beside it.
    """
    settings = settings_by_process()
    launcher = next(iter(settings))
    defaults: dict[str, dict[str, str]] = {}
    variables: dict[str, tuple[str, str, list[str]]] = {}
    for process, settings_cls in settings.items():
        for name, default, description, aliases in _rows(settings_cls):
            defaults.setdefault(name, {})[process] = default
            entry = variables.setdefault(name, (description, aliases, []))
            short_name = process.split(" (")[0]
            if short_name not in entry[2]:
                entry[2].append(short_name)
    lines = [
        "| variable | default | meaning | also read from | used by |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(variables):
        description, aliases, processes = variables[name]
        by_process = defaults[name]
        default = next(iter(by_process.values()))
        if by_process.get(launcher) == "(unset)" and len(by_process) > 1:
            service_default = next(value for key, value in by_process.items() if key != launcher)
            default = f"{service_default}; `make run`: embedded"
        users = "all" if len(processes) == len(settings) - 1 else ", ".join(processes)
        lines.append(f"| `{name}` | {default} | {description} | {aliases} | {users} |")
    return "\n".join(lines)


TABLE_START = "<!-- configuration-table:start -->"
TABLE_END = "<!-- configuration-table:end -->"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the configuration-table markers replaced by the table."""
    head, _, rest = readme.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    if not rest:
        raise ValueError(f"the README has no {TABLE_START} marker")
    return f"{head}{TABLE_START}\n{configuration_table()}\n{TABLE_END}{tail}"


if __name__ == "__main__":
    # `make docs`: rewrite the README's configuration table in place.
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(readme_with_table(path.read_text()))
