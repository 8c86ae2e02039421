"""What each service tells the tools that run and document the whole platform about itself.

Libraries never import services (``make imports`` enforces it), yet ``spyglass run`` must start
every process of the platform and ``make docs`` must list every setting. So each service package
describes its processes with a :class:`ServiceSpec` in its ``service.py`` and declares it in its
``pyproject.toml``::

    [project.entry-points."spyglass.services"]
    query-api = "spyglass_query_api.service:SERVICE"

and :func:`discover_services` finds whatever is installed through ``importlib.metadata``. A
package with two processes (the ingest receiver and writer) declares two entries.

A spec names its settings class and, by field name, the settings groups it listens on, so the
launcher can read every setting, check every port and reach every health endpoint without
knowing any service by name. Fields are checked when the spec is built: a spec that names a
field its settings class lacks fails on import, in the service's own tests, not at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from pydantic_settings import BaseSettings

from spyglass_core.errors import ConfigurationError
from spyglass_core.settings import ProcessSettings, ServerSettings

ENTRY_POINT_GROUP = "spyglass.services"
"""The entry-point group under which every service package declares its processes."""


@dataclass(frozen=True)
class Address:
    """An address worth telling a person when the platform is up (``spyglass run``'s banner)."""

    label: str
    """What it is for, as a person reads it: ``UI``, ``OTLP/HTTP``."""
    listener: str
    """The field of the process's settings that holds the server it is on."""
    path: str = ""
    """Appended to the server's base URL (``/v1/traces``)."""


@dataclass(frozen=True)
class Upstream:
    """A URL setting of one process that points at another process of the platform.

    When the platform runs on one machine, the launcher sets it to wherever the other process
    listens (unless it is set already), so moving a port never breaks a link between two.
    """

    setting: str
    """Dotted path of the URL field in this process's settings: ``server.query_api_url``."""
    service: str
    """The :attr:`ServiceSpec.name` of the process it points at."""
    listener: str
    """The field of that process's settings that holds the server to point at."""


@dataclass(frozen=True)
class ServiceSpec:
    """One process of the platform: how to start it, what it reads, where it listens.

    Raises:
        ValueError: (on construction) a field name that the settings class does not have, or
            that is not a server's settings group.
    """

    name: str
    """The process's name: the launcher's output prefix, its image target and Deployment."""
    title: str
    """How the configuration reference names it (``ingest receiver``)."""
    order: int
    """Where it comes among the processes: start order, and the reference's column order."""
    module: str
    """The module run as ``python -m module *arguments``."""
    settings: type[ProcessSettings]
    """Everything the process reads from the environment."""
    listeners: tuple[str, ...]
    """Fields of :attr:`settings` that are server groups (:class:`ServerSettings`)."""
    health: str
    """The listener whose ``/healthz`` says the process is up."""
    arguments: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    upstreams: tuple[Upstream, ...] = ()

    def __post_init__(self) -> None:
        for listener in self.listeners:
            self.listener_settings(listener)
        if self.health not in self.listeners:
            raise ValueError(f"{self.name}: health listener {self.health!r} is not a listener")
        for address in self.addresses:
            if address.listener not in self.listeners:
                raise ValueError(f"{self.name}: address {address.label!r} is on no listener")
        for upstream in self.upstreams:
            self.setting_owner(upstream.setting)

    def argv(self, python: str) -> tuple[str, ...]:
        """The command line that runs this process with the interpreter ``python``."""
        return (python, "-m", self.module, *self.arguments)

    def listener_settings(self, listener: str) -> type[ServerSettings]:
        """The server settings class of the listener field ``listener``.

        Raises:
            ValueError: :attr:`settings` has no such field, or it is not a server group.
        """
        info = self.settings.model_fields.get(listener)
        annotation = info.annotation if info is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, ServerSettings)):
            raise ValueError(
                f"{self.name}: {self.settings.__name__}.{listener} is not a server settings group"
            )
        return annotation

    def listener_settings_classes(self) -> tuple[type[ServerSettings], ...]:
        """The server settings class of every listener, in :attr:`listeners` order."""
        return tuple(self.listener_settings(listener) for listener in self.listeners)

    def setting_owner(self, path: str) -> tuple[type[BaseSettings], str]:
        """The settings group that holds the field at dotted ``path``, and the field's name.

        Raises:
            ValueError: a part of ``path`` names no field, or a group that is not settings.
        """
        *groups, field = path.split(".")
        owner: type[BaseSettings] = self.settings
        for group in groups:
            info = owner.model_fields.get(group)
            annotation = info.annotation if info is not None else None
            if not (isinstance(annotation, type) and issubclass(annotation, BaseSettings)):
                raise ValueError(f"{self.name}: {path!r}: {group!r} is not a settings group")
            owner = annotation
        if field not in owner.model_fields:
            raise ValueError(f"{self.name}: {path!r}: {owner.__name__} has no field {field!r}")
        return owner, field


class ServiceDiscoveryError(ConfigurationError):
    """An entry of the ``spyglass.services`` group is not a usable :class:`ServiceSpec`: the
    installation is at fault (``make install`` rebuilds it), not a setting."""


def discover_services() -> list[ServiceSpec]:
    """Every process declared by the installed service packages, in :attr:`ServiceSpec.order`.

    Loading an entry imports the service's ``service.py`` and its settings module only.

    Raises:
        ServiceDiscoveryError: an entry cannot be loaded or is not a spec, its name differs
            from the spec's, or two entries declare the same name.
    """
    specs: dict[str, ServiceSpec] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = entry.load()
        except (ImportError, AttributeError, ValueError) as error:
            # ValueError: a spec that names a field its settings class lacks.
            raise ServiceDiscoveryError(
                f"entry point {entry.name} = {entry.value} cannot be loaded ({error}); "
                "reinstall the workspace with `make install`"
            ) from error
        if not isinstance(spec, ServiceSpec):
            raise ServiceDiscoveryError(
                f"entry point {entry.name} = {entry.value} is not a ServiceSpec"
            )
        if spec.name != entry.name:
            raise ServiceDiscoveryError(
                f"entry point {entry.name} = {entry.value} declares a spec named {spec.name!r}"
            )
        if spec.name in specs:
            raise ServiceDiscoveryError(f"two installed packages declare {spec.name!r}")
        specs[spec.name] = spec
    return sorted(specs.values(), key=lambda spec: (spec.order, spec.name))
