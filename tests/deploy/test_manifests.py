"""The deployment files agree with the code: every service is deployable, probed and configured.

No Docker engine is needed: these read the Dockerfile, compose.yaml and the Kustomize base.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from spyglass_core.settings import env_name
from spyglass_eval_worker.settings import EvalWorkerSettings
from spyglass_experiment_runner.settings import ExperimentRunnerSettings
from spyglass_gateway.settings import GatewaySettings
from spyglass_ingest.settings import ReceiverSettings, WriterSettings
from spyglass_launcher.reference import configuration_table
from spyglass_query_api.settings import QueryApiSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s" / "base"


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SPYGLASS_", "PHOENIX_")):
            monkeypatch.delenv(name)


def _health_ports() -> dict[str, int]:
    """Each service's health port, as its settings default it."""
    return {
        "ingest-receiver": ReceiverSettings().http.port,
        "ingest-writer": WriterSettings().health.port,
        "query-api": QueryApiSettings().server.port,
        "eval-worker": EvalWorkerSettings().worker.port,
        "experiment-runner": ExperimentRunnerSettings().worker.port,
        "gateway": GatewaySettings().server.port,
    }


def _documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def _console_scripts() -> set[str]:
    scripts: set[str] = set()
    for pyproject in [*ROOT.glob("services/*/pyproject.toml"), *ROOT.glob("libs/*/pyproject.toml")]:
        scripts |= set(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return scripts


def _real_variables() -> set[str]:
    return set(re.findall(r"^\| `(SPYGLASS_[A-Z_]+)`", configuration_table(), re.MULTILINE))


def test_every_service_has_an_image_target_a_compose_service_and_a_deployment() -> None:
    targets = set(re.findall(r"^FROM \S+ AS (\S+)", (ROOT / "deploy/Dockerfile").read_text(), re.M))
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    deployments = {d["metadata"]["name"] for d in _documents(K8S / "deployments.yaml")}
    services = set(_health_ports())

    assert services <= targets
    assert "migrate" in targets
    assert services | {"migrate"} <= set(compose)
    assert deployments == services


def test_deployments_probe_the_ports_the_services_listen_on() -> None:
    ports = _health_ports()
    for deployment in _documents(K8S / "deployments.yaml"):
        name = deployment["metadata"]["name"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": ports[name]}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": ports[name]}
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(ports[name])


def test_commands_are_installed_console_scripts() -> None:
    scripts = _console_scripts()
    commands = [
        container["command"][0]
        for deployment in _documents(K8S / "deployments.yaml")
        for container in deployment["spec"]["template"]["spec"]["containers"]
    ]
    commands += re.findall(r'^CMD \["([^"]+)"', (ROOT / "deploy/Dockerfile").read_text(), re.M)
    assert commands
    assert set(commands) <= scripts


def test_every_variable_the_manifests_set_is_a_real_setting() -> None:
    text = "\n".join(
        path.read_text()
        for path in [ROOT / "compose.yaml", ROOT / "deploy/Dockerfile", *K8S.glob("*.yaml")]
    )
    named = set(re.findall(r"\b(SPYGLASS_[A-Z_]+)\b", text))
    assert named
    assert named <= _real_variables(), named - _real_variables()


def test_services_bind_all_interfaces_in_containers() -> None:
    for deployment in _documents(K8S / "deployments.yaml"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        binds = {item["name"]: item["value"] for item in container["env"]}
        assert "0.0.0.0" in binds.values(), deployment["metadata"]["name"]
        (variable,) = binds
        assert variable.endswith("_HOST") and variable in _real_variables()


def test_grace_period_exceeds_the_shutdown_deadline() -> None:
    config = _documents(K8S / "config.yaml")[0]["data"]
    deadline = float(config[env_name(type(GatewaySettings()), "shutdown_timeout_seconds")])
    for deployment in _documents(K8S / "deployments.yaml"):
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > deadline
