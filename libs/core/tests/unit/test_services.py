"""Service specs: checked when declared, found through the `spyglass.services` entry points.

Discovery is tested against real installed distributions: the workspace's own service packages,
and small ones written into a temporary folder on ``sys.path`` (a ``.dist-info`` folder with an
``entry_points.txt`` is all ``importlib.metadata`` reads).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import Field

from spyglass_core.services import (
    Address,
    ServiceDiscoveryError,
    ServiceSpec,
    Upstream,
    discover_services,
)
from spyglass_core.settings import DbSettings, ProcessSettings, ServerSettings, group_config


class ExampleServerSettings(ServerSettings):
    model_config = group_config("SPYGLASS_EXAMPLE_")

    upstream_url: str = Field(default="http://127.0.0.1:1", description="Another process.")


class ExampleSettings(ProcessSettings):
    server: ExampleServerSettings = Field(default_factory=ExampleServerSettings)
    db: DbSettings = Field(default_factory=DbSettings)


def _spec(**changes: object) -> ServiceSpec:
    fields: dict[str, object] = {
        "name": "example",
        "title": "example",
        "order": 1,
        "module": "example_service",
        "settings": ExampleSettings,
        "listeners": ("server",),
        "health": "server",
    }
    return ServiceSpec(**(fields | changes))  # type: ignore[arg-type]


def test_a_spec_gives_its_command_line_and_listener_settings() -> None:
    spec = _spec(arguments=("serve",))

    assert spec.argv("/usr/bin/python3") == ("/usr/bin/python3", "-m", "example_service", "serve")
    assert spec.listener_settings_classes() == (ExampleServerSettings,)
    assert spec.setting_owner("server.upstream_url") == (ExampleServerSettings, "upstream_url")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"listeners": ("db",)}, "ExampleSettings.db is not a server settings group"),
        ({"listeners": ("missing",)}, "ExampleSettings.missing is not a server settings group"),
        ({"health": "db"}, "health listener 'db' is not a listener"),
        ({"addresses": (Address("UI", "db"),)}, "address 'UI' is on no listener"),
        (
            {"upstreams": (Upstream("server.nowhere", "other", "server"),)},
            "ExampleServerSettings has no field 'nowhere'",
        ),
        (
            {"upstreams": (Upstream("log.level.deep", "other", "server"),)},
            "'level' is not a settings group",
        ),
    ],
)
def test_a_spec_naming_a_field_its_settings_lack_fails_when_declared(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _spec(**changes)


def test_the_workspace_declares_every_process_of_the_platform_in_order() -> None:
    specs = discover_services()

    assert [spec.name for spec in specs] == [
        "query-api",
        "ingest-receiver",
        "ingest-writer",
        "eval-worker",
        "eval-dispatcher",
        "experiment-runner",
        "gateway",
    ]
    gateway = specs[-1]
    assert {upstream.service for upstream in gateway.upstreams} <= {spec.name for spec in specs}
    assert all(spec.settings.__module__.startswith(spec.module) for spec in specs)


def _install(folder: Path, name: str, entry_points: str, module: str) -> None:
    """A distribution ``name`` in ``folder``: its module and its entry points."""
    dist_info = folder / f"{name}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[spyglass.services]\n{textwrap.dedent(entry_points)}"
    )
    (folder / f"{name}.py").write_text(textwrap.dedent(module))


_MODULE = """
    from pydantic import Field
    from spyglass_core.services import ServiceSpec
    from spyglass_core.settings import ProcessSettings, ServerSettings

    class Settings(ProcessSettings):
        server: ServerSettings = Field(default_factory=ServerSettings)

    def spec(name: str, order: int) -> ServiceSpec:
        return ServiceSpec(
            name=name, title=name, order=order, module="x", settings=Settings,
            listeners=("server",), health="server",
        )

    EARLY = spec("early", 0)
    GATEWAY = spec("gateway", 99)
    NOT_A_SPEC = "query-api"
"""


def test_an_installed_package_adds_its_processes_in_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(tmp_path, "extra_service", "early = extra_service:EARLY\n", _MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    names = [spec.name for spec in discover_services()]

    assert names[:2] == ["early", "query-api"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("oops = broken_service:NOT_A_SPEC\n", "oops = broken_service:NOT_A_SPEC is not a Service"),
        ("other = broken_service:EARLY\n", "declares a spec named 'early'"),
        ("gateway = broken_service:GATEWAY\n", "two installed packages declare 'gateway'"),
        ("gone = broken_service:GONE\n", "gone = broken_service:GONE cannot be loaded"),
    ],
)
def test_a_bad_entry_point_is_refused_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, message: str
) -> None:
    _install(tmp_path, "broken_service", entry, _MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ServiceDiscoveryError, match=message):
        discover_services()
