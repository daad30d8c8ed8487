"""The wheel ships the bundled suites; an installed or editable plugin finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import pytest_readiness
from pytest_readiness.plugin import suites_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(REPO)], check=True, timeout=600)
    (found,) = out.glob("pytest_readiness-*.whl")
    return found


@pytest.mark.slow
def test_wheel_contains_the_suites_and_the_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "pytest_readiness/suites/code/test_secrets.py" in names
    assert "pytest_readiness/suites/hosts/test_files.py" in names
    assert "pytest_readiness/plugin.py" in names
    # every module of the checkout, in every area package, is in the wheel
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "pytest_readiness").rglob("*.py")}
    modules |= {"pytest_readiness/" + p.relative_to(REPO).as_posix()
                for p in (REPO / "suites").rglob("*.py")}
    assert modules - set(names) == set()
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]\nreadiness = pytest_readiness.plugin" in text


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_bundled_suites(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(wheel)], check=True, timeout=900)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    result = subprocess.run(
        [str(python), "-m", "pytest", "--readiness", "--readiness-json", "out.json",
         "-p", "no:cacheprovider"],
        cwd=empty, capture_output=True, text=True, timeout=600, env=env)
    assert "readiness scorecard" in result.stdout, result.stdout + result.stderr
    assert "VERDICT:" in result.stdout
    record = json.loads((empty / "out.json").read_text())
    ids = {c["id"] for c in record["checks"]}
    assert {"secrets.hardcoded", "files.secret-file-mode"} <= ids
    where = subprocess.run([str(python), "-c", "import pytest_readiness.plugin as p;"
                            "print(p.suites_dir())"], capture_output=True, text=True, check=True,
                           cwd=empty, env=env)
    assert where.stdout.strip().startswith(str(env_dir)), where.stdout


def test_editable_install_finds_the_checkout_suites(tmp_path: Path) -> None:
    assert suites_dir() == REPO / "suites"
    assert Path(pytest_readiness.__file__).parent == REPO / "pytest_readiness"
    result = subprocess.run([sys.executable, "-m", "pytest", "--readiness", "--readiness-list",
                             "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert "secrets.hardcoded" in result.stdout, result.stdout + result.stderr


def test_every_package_is_listed_in_pyproject() -> None:
    """The fast guard of the wheel tests above: a package missing from [tool.setuptools]
    packages is missing from every install that is not editable."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(REPO).parts)
             for init in (REPO / "pytest_readiness").rglob("__init__.py")}
    found |= {".".join(("pytest_readiness", *init.parent.relative_to(REPO).parts))
              for init in (REPO / "suites").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"
    assert listed - found == set(), "these listed packages do not exist"
