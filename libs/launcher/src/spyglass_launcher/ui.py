"""Building the web UI (``services/gateway/ui``) when it is missing or stale, testing and
checking it.

Two stamps make an unchanged UI cost nothing: ``node_modules/.spyglass-lock`` holds the hash of
the ``package-lock.json`` that ``npm ci`` installed, and ``dist/.spyglass-sources`` holds the hash
of every source the build read. Only a different hash runs npm again; checking the hashes reads
a few hundred small files and takes milliseconds.

Builds of one UI folder take turns (a lock on the folder), so ``spyglass run`` and a test
session started together never build into the same ``dist/`` at once.

The tests (``npm test``: Vitest) and the static checks (``npm run check``: ``tsc --noEmit`` and
ESLint) run npm scripts of the same name after the same ``npm ci``, so a machine with nothing
but Python and this checkout runs them too (``make test``, ``make check``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from spyglass_core.errors import SpyglassError
from spyglass_core.logging import get_logger
from spyglass_launcher.node import NodeToolchain, find_node

log = get_logger(__name__)

REPOSITORY = Path(__file__).resolve().parents[4]
"""The checkout this launcher runs from (its packages are installed editable)."""

INSTALL_STAMP = ".spyglass-lock"
BUILD_STAMP = ".spyglass-sources"
OUTPUT_TAIL_LINES = 40

BUILD_COMMAND = "spyglass ui build"
"""What a person runs to build the UI by hand (``make ui`` runs it too)."""


class UiBuildError(SpyglassError):
    """Installing the UI's packages or building it failed; the message has npm's last lines."""


@dataclass(frozen=True)
class UiProject:
    """A Vite project: its folder, and what a build reads besides that folder's own sources.

    The sources are ``src/**`` (less the ``generated`` folders the build writes itself),
    ``public/**``, and the top-level ``index.html``, ``*.ts`` configurations, ``tsconfig*.json``,
    ``package.json`` and ``package-lock.json``.
    """

    directory: Path
    extra_sources: tuple[Path, ...] = ()
    """Files outside ``directory`` that the build reads (the GraphQL schema for codegen)."""
    generated: tuple[str, ...] = field(default=("src/gql",))
    """Folders under ``directory`` that the build writes (GraphQL codegen's output)."""

    @classmethod
    def default(cls) -> UiProject:
        """The gateway's UI in this checkout, which generates its types from the query API's
        exported schema."""
        return cls(
            directory=REPOSITORY / "services" / "gateway" / "ui",
            extra_sources=(REPOSITORY / "services" / "query-api" / "schema.graphql",),
        )

    @property
    def dist(self) -> Path:
        """Where the build writes the files the gateway serves."""
        return self.directory / "dist"

    @property
    def node_modules(self) -> Path:
        """Where ``npm ci`` installs the packages."""
        return self.directory / "node_modules"

    def source_files(self) -> list[Path]:
        """Every file the build reads, sorted, so that their hash is stable."""
        top_level_patterns = ("index.html", "*.ts", "tsconfig*.json", "package.json")
        files = {
            path
            for pattern in top_level_patterns
            for path in self.directory.glob(pattern)
            if path.is_file()
        }
        lock = self.directory / "package-lock.json"
        if lock.is_file():
            files.add(lock)
        generated = [self.directory / folder for folder in self.generated]
        for folder in ("src", "public"):
            for path in (self.directory / folder).rglob("*"):
                if path.is_file() and not any(path.is_relative_to(g) for g in generated):
                    files.add(path)
        files.update(path for path in self.extra_sources if path.is_file())
        return sorted(files)

    def sources_hash(self) -> str:
        """A hash of every source's path and content: equal hashes, equal builds."""
        digest = hashlib.sha256()
        for path in self.source_files():
            digest.update(os.fsencode(os.path.relpath(path, self.directory)) + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def lock_hash(self) -> str:
        """A hash of ``package-lock.json``: what ``npm ci`` installs."""
        lock = self.directory / "package-lock.json"
        if not lock.is_file():
            raise UiBuildError(
                f"{lock} is missing; `npm ci` installs exactly what it lists "
                f"(run `npm install` in {self.directory} to write it)"
            )
        return hashlib.sha256(lock.read_bytes()).hexdigest()


def ensure_ui_built(
    project: UiProject | None = None,
    *,
    force: bool = False,
    echo: TextIO | None = None,
    toolchain: NodeToolchain | None = None,
) -> bool:
    """Install the UI's packages and build it, each only when needed.

    Args:
        project: the UI to build; the gateway's by default.
        force: build even when ``dist/`` is fresh.
        echo: where to copy npm's output as it runs (a terminal); by default it is only kept
            for the error message.
        toolchain: the Node to use; found with :func:`find_node` when work is needed.

    Returns:
        Whether a build ran.

    Raises:
        UiBuildError: the UI has no sources here, or ``npm ci`` or the build failed.
        NodeUnavailableError: no Node.js can be run.
    """
    project = project or UiProject.default()
    _require_sources(project)
    with _exclusive(project.directory):
        sources_hash = project.sources_hash()
        installed = _read_stamp(project.node_modules / INSTALL_STAMP) == project.lock_hash()
        built = _read_stamp(project.dist / BUILD_STAMP) == sources_hash
        if installed and built and not force:
            log.debug("ui_fresh", directory=str(project.dist))
            return False
        toolchain = toolchain or find_node()
        if not installed:
            _install(project, toolchain, echo)
            if built and not force:
                # Reinstalled the same lock (node_modules was removed): the build still stands.
                return False
        log.info("ui_build_started", directory=str(project.directory), node=toolchain.version_text)
        _npm(project, toolchain, ("run", "build"), echo, "building the UI (npm run build)")
        if not (project.dist / "index.html").is_file():
            raise UiBuildError(
                f"`npm run build` in {project.directory} succeeded but wrote no "
                f"{project.dist / 'index.html'}; the gateway serves that folder"
            )
        (project.dist / BUILD_STAMP).write_text(sources_hash + "\n")
        log.info("ui_build_finished", directory=str(project.dist))
        return True


def run_ui_tests(
    project: UiProject | None = None, *, toolchain: NodeToolchain | None = None
) -> int:
    """Install the UI's packages if needed, then run its tests (``npm test``: Vitest).

    The tests' output goes straight to this process's stdout and stderr.

    Returns:
        The exit code of ``npm test``: 0 when every test passed.
    """
    return _run_script(project, "test", toolchain)


def run_ui_checks(
    project: UiProject | None = None, *, toolchain: NodeToolchain | None = None
) -> int:
    """Install the UI's packages if needed, then run its static checks (``npm run check``).

    In the gateway's UI the script generates the GraphQL types, then runs ``tsc --noEmit`` and
    ESLint; their complaints go straight to this process's stdout and stderr.

    Returns:
        The exit code of ``npm run check``: 0 when every check passed.

    Raises:
        UiBuildError: the project has no ``check`` script, or ``npm ci`` failed.
    """
    return _run_script(project, "check", toolchain)


def _run_script(project: UiProject | None, script: str, toolchain: NodeToolchain | None) -> int:
    """Run the npm script ``script`` after installing the packages if the lock changed."""
    project = project or UiProject.default()
    _require_sources(project)
    _require_script(project, script)
    toolchain = toolchain or find_node()
    with _exclusive(project.directory):
        if _read_stamp(project.node_modules / INSTALL_STAMP) != project.lock_hash():
            _install(project, toolchain, sys.stderr)
    log.info("ui_script_started", directory=str(project.directory), script=script)
    completed = subprocess.run(
        [*toolchain.npm, "run", script],
        cwd=project.directory,
        env=toolchain.environment(os.environ),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    log.info("ui_script_finished", script=script, exit_code=completed.returncode)
    return completed.returncode


def _install(project: UiProject, toolchain: NodeToolchain, echo: TextIO | None) -> None:
    lock_hash = project.lock_hash()
    log.info("ui_install_started", directory=str(project.directory), node=toolchain.version_text)
    _npm(
        project,
        toolchain,
        ("ci", "--no-audit", "--no-fund"),
        echo,
        "installing the UI's packages (npm ci; it needs the npm registry)",
    )
    # A project without dependencies gets no node_modules from npm; the stamp still counts.
    project.node_modules.mkdir(exist_ok=True)
    (project.node_modules / INSTALL_STAMP).write_text(lock_hash + "\n")


def _npm(
    project: UiProject,
    toolchain: NodeToolchain,
    arguments: Sequence[str],
    echo: TextIO | None,
    what: str,
) -> None:
    """Run npm in the project, keeping the tail of its output for the error it may raise."""
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
    with subprocess.Popen(
        [*toolchain.npm, *arguments],
        cwd=project.directory,
        env=toolchain.environment(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip("\n"))
            if echo is not None:
                echo.write(line)
                echo.flush()
    if process.returncode != 0:
        output = "\n".join(f"  | {line}" for line in tail)
        raise UiBuildError(
            f"{what} failed with exit code {process.returncode} in {project.directory} "
            f"(Node {toolchain.version_text}, {toolchain.origin}). Last lines of its output:\n"
            f"{output}\nFix the cause, then run `{BUILD_COMMAND}` (or `make ui`) to build again."
        )


def _require_sources(project: UiProject) -> None:
    if not (project.directory / "package.json").is_file():
        raise UiBuildError(
            f"no UI sources at {project.directory} (no package.json); the UI is built from a "
            "checkout of the Spyglass repository"
        )


def _require_script(project: UiProject, script: str) -> None:
    manifest_path = project.directory / "package.json"
    try:
        scripts = json.loads(manifest_path.read_text()).get("scripts", {})
    except (OSError, ValueError, AttributeError) as error:
        raise UiBuildError(f"cannot read the scripts of {manifest_path}: {error}") from error
    if not isinstance(scripts, dict) or script not in scripts:
        raise UiBuildError(
            f'{manifest_path} has no {script!r} script; add it under "scripts" '
            f"(npm run {script} is what this command runs)"
        )


def _read_stamp(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` itself (no lock file left in the sources)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
