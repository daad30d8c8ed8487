"""pytest-readiness wiring: options, the marker, the ``readiness`` fixture. No logic.

Every pytest run in an environment with pytest-readiness installed imports this
module, so it imports next to nothing (options.py, isolation.py, pytest). Without
``--readiness`` nothing here changes a run: the marker is declared, the options
exist, the ``readiness`` fixture is there for checks run by plain pytest, nothing
else is registered. With ``--readiness`` the process re-executes itself into the
audit's own (isolation.py) before it imports anything of the audit, unless it
already is one; the audit's process then registers the hooks of audit_hooks.py.
"""

from __future__ import annotations

import importlib
import os
import shlex
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from pytest_readiness import hookspecs, isolation
from pytest_readiness.options import (  # noqa: F401 - suites_dir and HELP: public names
    HELP,
    OPTIONS,
    enabled,
    option,
    suites_dir,
)

if TYPE_CHECKING:
    from pytest_readiness.recorder import Recorder


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness audit")
    for flag, kwargs, ini_type in OPTIONS:
        dest = flag.lstrip("-").replace("-", "_")
        group.addoption(flag, dest=dest, help=HELP[flag], **kwargs)
        if ini_type:
            parser.addini(dest, HELP[flag], type=ini_type)  # type: ignore[arg-type]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    if not enabled(early_config):
        return
    early = early_config.known_args_namespace
    user_args = [str(a) for a in early_config.invocation_params.args]
    if not (isolation.isolated() or early.help or early.version) and \
            isolation.is_main_process(user_args):
        # The repository's ini file, addopts and CI plugins are for its own tests.
        if isolation.not_clean(early_config, user_args) is None:
            isolation.stay(user_args)  # already what the re-execution would make
        else:
            argv, env = _isolated_command(early_config)
            entry = isolation.tree_on_path(early_config)
            if entry is not None:  # said in the audit's record
                env[isolation.PARENT_PATH_ENV] = entry
            isolation.reexec(argv, env, early_config.pluginmanager.get_plugin("capturemanager"))
    _audit_hooks().start(early_config, args)


def _isolated_command(config: pytest.Config) -> tuple[list[str], dict[str, str]]:
    """The audit's own process: the user's command line, none of the repository's setup."""
    user_args = [str(a) for a in config.invocation_params.args]
    takes_value = {flag for flag, kwargs, _ in OPTIONS if "metavar" in kwargs}
    addopts = shlex.split(os.environ.get("PYTEST_ADDOPTS", "")) + list(config.getini("addopts"))
    carried = isolation.carried_addopts(addopts, takes_value)
    carried += isolation.ini_overrides({
        dest: config.getini(dest) for flag, _, ini in OPTIONS
        if ini and (dest := flag.lstrip("-").replace("-", "_"))})
    argv = isolation.child_argv(user_args, config.rootpath, carried)
    return argv, isolation.child_env(user_args)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "readiness(id, section, category, severity, fix, title): a production-readiness check",
    )
    if enabled(config):
        audit_hooks = _audit_hooks()
        audit_hooks.configure(config)
        config.pluginmanager.register(audit_hooks, "readiness-audit")


@pytest.fixture
def readiness(request: pytest.FixtureRequest) -> Recorder:
    """Record evidence and findings, conclude, or end the check with a warning (Recorder)."""
    fixtures = importlib.import_module("pytest_readiness.fixtures")
    recorder: Recorder = fixtures.recorder_for(request)
    return recorder


def _audit_hooks() -> ModuleType:
    """The audit's hooks, imported on ``--readiness`` only. By sys.modules, not by the
    package's attribute: an in-process ``pytester`` run may have dropped the module."""
    return importlib.import_module("pytest_readiness.audit_hooks")
