"""The audit's hooks: registered by plugin.py on ``--readiness`` only.

Everything an audit needs (the config model, targets, the recorder, scoring and
report writers) is imported from here, so a run without ``--readiness`` and the
process that re-executes itself into the audit's own never import it.
"""

from __future__ import annotations

import functools
import gc
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import boundary, runtest
from pytest_readiness.config import ConfigError, find_config, load_config
from pytest_readiness.fixtures import CONTEXT_KEY, Fixtures, generate_targets
from pytest_readiness.lifecycle import (
    HOST_GROUPS,
    Stopper,
    end_on_sigterm,
    host_scheduler,
    time_limit,
    wants_host_groups,
    write_host_groups,
)
from pytest_readiness.options import option, suites_dir
from pytest_readiness.probes.hosts import commands
from pytest_readiness.probes.hosts.connect import close_all as close_hosts
from pytest_readiness.profiles import profile_named
from pytest_readiness.report.outputs import ReportOutputs
from pytest_readiness.selection import (
    catalogue,
    catalogue_entries,
    requested_suites,
    select,
    suite_module_unwanted,
)
from pytest_readiness.session import SELECTION_NOTES, USAGE_ERROR, ReadinessSession
from pytest_readiness.sharding import parse_shard, select_shard
from pytest_readiness.targets import Context

GROUPS_DIR_KEY = pytest.StashKey[str]()
GC_KEY = pytest.StashKey[tuple[int, ...]]()
# The codebase index keeps the parse trees of every Python file (millions of objects, none
# of them garbage): at Python's default thresholds the cyclic collector walks them again
# and again (4.5 s of a 20 s audit of the generated 5,000-file tree). Fewer, larger young
# collections during the session; cycles are still collected, and the thresholds are put
# back when the run ends.
AUDIT_GC_THRESHOLDS = (50_000, 20, 100)
# Options of plugins the audit's process loads (isolation.AUDIT_PLUGINS) that mean
# nothing to an audit: pytest-testinfra's, for its own ``host`` fixture (an audit's
# hosts are readiness.yaml's; --nagios would replace the exit code the gate reads), and
# pytest-xdist's looponfail mode. Given with --readiness, they are refused, not ignored.
FOREIGN_OPTIONS = {
    "hosts": "--hosts", "connection": "--connection", "ssh_config": "--ssh-config",
    "ssh_extra_args": "--ssh-extra-args", "ssh_identity_file": "--ssh-identity-file",
    "sudo": "--sudo", "sudo_user": "--sudo-user", "ansible_inventory": "--ansible-inventory",
    "force_ansible": "--force-ansible", "nagios": "--nagios", "looponfail": "--looponfail",
}


def load_context(config: pytest.Config) -> Context:
    given = option(config, "readiness_config")
    path: Path | None
    if given:
        path = Path(config.invocation_params.dir, given)
        if not path.is_file():
            raise pytest.UsageError(f"{given}: readiness config not found")
    else:
        path = find_config(config.rootpath, config.invocation_params.dir)
    timeout = option(config, "readiness_timeout")
    try:
        with time_limit(float(timeout) if timeout not in (None, "") else None,
                        f"loading {path or 'the config'}"):
            model, found = load_config(path)
    except (ConfigError, TimeoutError) as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        commands.allow_user_commands(model.host_commands)
    except ValueError as exc:  # a built-in program named under host_commands
        raise pytest.UsageError(f"{found}: {exc}") from None
    base = found.parent if found else Path(config.invocation_params.dir)
    return Context(model, base.resolve(), found)


def refuse_foreign_options(namespace: Any) -> None:
    given = [flag for dest, flag in FOREIGN_OPTIONS.items() if getattr(namespace, dest, None)]
    if given:
        raise pytest.UsageError(
            f"{', '.join(given)}: pytest-testinfra's and pytest-xdist's options for plain test "
            "runs do nothing in an audit; name hosts in readiness.yaml (hosts:) or use "
            "--readiness-local-host (docs/configuration.md)")


def start(early_config: pytest.Config, args: list[str]) -> None:
    """The audit's start, in its own process: the config (a bad file stops the run
    here, exit 4), the paths to collect, and the conftest cut-off (isolation.py)."""
    from pytest_readiness import isolation

    refuse_foreign_options(early_config.known_args_namespace)
    context = load_context(early_config)
    early_config.stash[CONTEXT_KEY] = context
    named = [context.resolve(p) for p in context.config.checks]
    early = early_config.known_args_namespace
    if early.file_or_dir:
        named += [Path(early_config.invocation_params.dir, a.split("::")[0])
                  for a in early.file_or_dir]
    else:
        args.append(str(suites_dir()))
        args.extend(str(path) for path in named)
    isolation.cut_off_conftests(early_config, args, named)


def configure(config: pytest.Config) -> None:
    """Register what an audit runs with (plugin.py calls this on ``--readiness``, then
    registers this module's hooks)."""
    if CONTEXT_KEY not in config.stash:
        config.stash[CONTEXT_KEY] = load_context(config)
    _name_local_host(config, config.stash[CONTEXT_KEY])
    _choose_profile(config, config.stash[CONTEXT_KEY])
    if config.getoption("readiness_list"):
        config.option.dist = "no"  # the catalogue needs no workers
    config.pluginmanager.register(Fixtures(), "readiness-fixtures")
    config.pluginmanager.register(runtest, "readiness-runtest")
    config.pluginmanager.register(boundary, "readiness-boundary")  # scrubs what leaves
    # Nothing an audit starts outlives it: SSH masters, host commands, control sockets.
    config.add_cleanup(close_hosts)
    if hasattr(config, "workerinput"):
        end_on_sigterm(close_hosts)
    if not hasattr(config, "workerinput"):
        fail_under = option(config, "readiness_fail_under")
        timeout = option(config, "readiness_timeout")
        if wants_host_groups(config):
            config.stash[GROUPS_DIR_KEY] = tempfile.mkdtemp(prefix="readiness-groups-")
            config.add_cleanup(functools.partial(shutil.rmtree, config.stash[GROUPS_DIR_KEY],
                                                 ignore_errors=True))
        session = ReadinessSession(
            config, config.stash[CONTEXT_KEY],
            fail_under=float(fail_under) if fail_under not in (None, "") else None,
            stopper=Stopper(float(timeout) if timeout not in (None, "") else None),
            outputs=_outputs(config),
            shard=_shard_label(config),
        )
        config.pluginmanager.register(session, "readiness-session")
        config.pluginmanager.register(session.outputs, "readiness-outputs")
        if config.getoption("htmlpath", None):  # pytest-html is active: add our columns
            from pytest_readiness.report import pytest_html

            config.pluginmanager.register(pytest_html, "readiness-pytest-html")
    _shard(config)  # validated in every process, before a long audit starts


def _name_local_host(config: pytest.Config, context: Context) -> None:
    """``--readiness-local-host``: this machine becomes host ``local`` (docs/hosts.md)."""
    if not option(config, "readiness_local_host"):
        return
    clash = next((h for h in context.config.hosts if h.name == "local"), None)
    if clash is not None and clash.connection.split("://")[0] != "local":
        raise pytest.UsageError(
            f"--readiness-local-host: readiness.yaml already has a host named 'local' "
            f"({clash.connection}); rename it or leave the option out")
    context.local_host = True


def _choose_profile(config: pytest.Config, context: Context) -> None:
    """``--readiness-profile``: the policy profile, over readiness.yaml's ``profile:``."""
    name = option(config, "readiness_profile")
    if not name:
        return
    try:
        profile_named(str(name))
    except ValueError as exc:
        raise pytest.UsageError(f"--readiness-profile: {exc}") from None
    context.profile_name = str(name)


def _outputs(config: pytest.Config) -> ReportOutputs:
    return ReportOutputs(
        json_path=_path(config, "readiness_json"),
        markdown_path=_path(config, "readiness_report"),
        html_path=_path(config, "readiness_html"),
        sarif_path=_path(config, "readiness_sarif"),
        prometheus_path=_path(config, "readiness_prometheus"),
        baseline_path=_path(config, "readiness_baseline"),
        history_dir=_path(config, "readiness_history"),
        fail_on=option(config, "readiness_fail_on") or None,
        no_regressions=bool(option(config, "readiness_no_regressions")),
        root=config.stash[CONTEXT_KEY].base_dir,
        invocation_dir=Path(config.invocation_params.dir),
    )


def _shard(config: pytest.Config) -> tuple[int, int] | None:
    value = config.getoption("readiness_shard", None)
    if not value:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _shard_label(config: pytest.Config) -> str | None:
    """``"2/3"`` when this run is one shard of several (its record is partial)."""
    shard = _shard(config)
    return f"{shard[0]}/{shard[1]}" if shard and shard[1] > 1 else None


def _path(config: pytest.Config, name: str) -> Path | None:
    value = option(config, name)
    return Path(config.invocation_params.dir, value) if value else None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Bundled suites outside ``--readiness-suite`` are not even imported."""
    if suites_dir() in collection_path.parents and \
            suite_module_unwanted(collection_path, requested_suites(config)):
        return True
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if CONTEXT_KEY in metafunc.config.stash:
        generate_targets(metafunc, metafunc.config.stash[CONTEXT_KEY])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput = getattr(config, "workerinput", None)
    try:
        notes = select(config, items, config.stash[CONTEXT_KEY].config, suites_dir())
    except pytest.UsageError as exc:
        if workerinput is None:
            raise
        # A worker cannot end the run with a usage error (xdist reports an internal
        # error); it runs nothing and the controller turns the message into exit 4.
        config.workeroutput[USAGE_ERROR] = str(exc)  # type: ignore[attr-defined]
        config.hook.pytest_deselected(items=list(items))
        items[:] = []
        return
    if workerinput is not None:
        config.workeroutput[SELECTION_NOTES] = notes  # type: ignore[attr-defined]
    shard = _shard(config)
    if shard:
        select_shard(config, items, *shard)
    workerinput = workerinput or {}
    if workerinput.get(HOST_GROUPS):
        write_host_groups(workerinput[HOST_GROUPS], workerinput["workerid"], items)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker where to write which host each of its checks audits."""
    directory = node.config.stash.get(GROUPS_DIR_KEY, None)
    if directory is not None:
        node.workerinput[HOST_GROUPS] = directory


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Checks of one host on one worker: one connection per host, not one per worker."""
    directory = config.stash.get(GROUPS_DIR_KEY, None)
    return host_scheduler(config, log, directory) if directory is not None else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[GC_KEY] = gc.get_threshold()
    gc.set_threshold(*AUDIT_GC_THRESHOLDS)


def pytest_unconfigure(config: pytest.Config) -> None:
    thresholds = config.stash.get(GC_KEY, None)
    if thresholds is not None:
        gc.set_threshold(*thresholds)
    from pytest_readiness import isolation

    if isolation.is_main_process(config.invocation_params.args):
        # The record is written and the process ends next: pytest's last collections
        # (2 s on the generated tree) need not walk the index's parse trees again. Not
        # done under pytest.main(), where the caller's process goes on.
        gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    config = session.config
    if not config.getoption("readiness_list"):
        return None
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    rows = catalogue(session.items)
    if reporter is not None:
        reporter.write_sep("=", f"readiness catalogue: {len(rows)} checks")
        reporter.write_line(f"{'id':<36} {'suite':<20} {'section':<28} {'category':<12} "
                            f"{'severity':<9} title")
        for row in rows:
            reporter.write_line(f"{row[0]:<36} {row[1]:<20} {row[2]:<28} {row[3]:<12} "
                                f"{row[4]:<9} {row[5]}")
    json_path = _path(config, "readiness_json")
    if json_path is not None:  # the catalogue as data, for docs and tooling
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(catalogue_entries(session.items), indent=2) + "\n",
                             encoding="utf-8")
    return True
