"""The layering `make imports` enforces: libraries never import services, services never each other.

The contracts are the root pyproject.toml's ``[tool.importlinter]`` section. Besides checking
the real code, they are run over a scratch tree of packages with the same names (found first on
``PYTHONPATH``), once clean and once with a forbidden import planted, to show that a violation
does break the check and names the import.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts_text() -> str:
    """The ``[tool.importlinter]`` tables of the root pyproject.toml, as written."""
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("[tool.importlinter]")
    following = re.search(r"^\[(?!\[?tool\.importlinter)", text[start + 1 :], re.MULTILINE)
    return text[start : start + 1 + following.start()] if following else text[start:]


def _lint_imports(folder: Path, *, scratch: bool) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    if scratch:
        environment["PYTHONPATH"] = str(folder)
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _scratch_tree(folder: Path, modules: dict[str, str]) -> None:
    """Empty packages named as the real root packages and the subpackages the contracts name,
    plus ``modules`` (dotted name: source)."""
    (folder / "pyproject.toml").write_text(_contracts_text())
    settings = tomllib.loads(_contracts_text())["tool"]["importlinter"]
    named = {
        name
        for contract in settings["contracts"]
        for key in ("modules", "source_modules", "forbidden_modules")
        for name in contract.get(key, [])
    }
    for package in sorted({*settings["root_packages"], *named}, key=lambda name: name.count(".")):
        directory = folder.joinpath(*package.split("."))
        directory.mkdir()
        (directory / "__init__.py").write_text("")
    for name, source in modules.items():
        package, module = name.split(".")
        (folder / package / f"{module}.py").write_text(source)


def test_the_code_keeps_every_layering_contract() -> None:
    result = _lint_imports(ROOT, scratch=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    _scratch_tree(
        tmp_path,
        {
            "spyglass_core.base": "",
            "spyglass_launcher.run": "import spyglass_core.base\n",
            "spyglass_gateway.app": "import spyglass_core.base\n",
        },
    )

    result = _lint_imports(tmp_path, scratch=True)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("modules", "broken", "chain"),
    [
        (
            {
                "spyglass_gateway.settings": "",
                "spyglass_launcher.plan": "import spyglass_gateway.settings\n",
            },
            "Libraries never import services",
            "spyglass_launcher.plan -> spyglass_gateway.settings",
        ),
        (
            {
                "spyglass_ingest.store": "",
                "spyglass_query_api.spans": "from spyglass_ingest import store\n",
            },
            "Services never import each other",
            "spyglass_query_api.spans -> spyglass_ingest",
        ),
        (
            {
                "spyglass_launcher.ports": "",
                "spyglass_gateway.app": "import spyglass_launcher.ports\n",
            },
            "Nothing imports the launcher",
            "spyglass_gateway.app -> spyglass_launcher.ports",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_check_and_is_named(
    tmp_path: Path, modules: dict[str, str], broken: str, chain: str
) -> None:
    _scratch_tree(tmp_path, modules)

    result = _lint_imports(tmp_path, scratch=True)

    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(rf"{re.escape(broken)}.*BROKEN", result.stdout, re.DOTALL), result.stdout
    assert chain in result.stdout, result.stdout
