"""Insecure framework defaults: debug mode, any Host accepted, the auto-reloader."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.plumbing import envreads, pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import defaults

pytestmark = pytest.mark.readiness(section="Authentication and Transport Security",
                                   category="security")


@pytest.fixture
def python_modules(inventory: Inventory) -> list[pyast.Module]:
    """The codebase's Python modules, parsed; a codebase without Python is not applicable."""
    if not inventory.python:
        pytest.skip("not applicable: no Python code in this codebase")
    return list(pyast.modules(inventory))


@pytest.mark.readiness(id="defaults.debug", severity="high", levels=defaults.DEBUG_LEVELS,
                       fix="Default DEBUG to false (env_bool('DEBUG', False)) and never pass "
                           "debug=True to app.run in code that ships")
def test_debug_off_by_default(inventory: Inventory, python_modules: list[pyast.Module],
                              readiness: Recorder) -> None:
    """Debug mode is off unless the environment turns it on."""
    readiness.conclude(defaults.debug_enabled(python_modules, envreads.index_helpers(inventory)),
                       "debug mode on (by default)", code=True)


@pytest.mark.readiness(id="defaults.allowed-hosts", severity="medium",
                       levels=defaults.HOSTS_LEVELS,
                       fix="List the hosts the service answers for in ALLOWED_HOSTS (from the "
                           "environment, with no '*' default)")
def test_allowed_hosts_listed(inventory: Inventory, python_modules: list[pyast.Module],
                              readiness: Recorder) -> None:
    """Django's ALLOWED_HOSTS names the service's hosts, not '*'."""
    readiness.conclude(defaults.allowed_hosts_wildcard(python_modules,
                                                       envreads.index_helpers(inventory)),
                       "ALLOWED_HOSTS with '*'", warning="ALLOWED_HOSTS with '*'", code=True)


@pytest.mark.readiness(id="defaults.reload", severity="medium", levels=defaults.RELOAD_LEVELS,
                       fix="Drop reload=True from the entry point (use it from the command "
                           "line in development: uvicorn --reload)")
def test_no_reload_in_entry_points(inventory: Inventory, python_modules: list[pyast.Module],
                                   readiness: Recorder) -> None:
    """Entry points, compose commands and Dockerfile CMDs do not run the auto-reloader."""
    commands = [(f.rel, inventory.lines(f.rel)) for f in (*inventory.compose,
                                                          *inventory.dockerfiles)]
    readiness.conclude([*defaults.reload_enabled(python_modules,
                                                 envreads.index_helpers(inventory)),
                        *defaults.reload_in_commands(commands)], "auto-reload on",
                       warning="auto-reload on in entry point(s)", code=True)
