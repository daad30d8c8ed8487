"""pytest-readiness wiring: options, markers and registration. No logic of its own.

Without ``--readiness`` nothing here changes a run: the marker is declared and
the options exist, nothing else is registered.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import hookspecs, isolation, runtest
from pytest_readiness.config import ConfigError, find_config, load_config
from pytest_readiness.fixtures import (  # noqa: F401 - readiness is a fixture, always available
    CONTEXT_KEY,
    Fixtures,
    generate_targets,
    readiness,
)
from pytest_readiness.lifecycle import (
    HOST_GROUPS,
    Stopper,
    end_on_sigterm,
    host_scheduler,
    time_limit,
    wants_host_groups,
    write_host_groups,
)
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

OPTIONS: list[tuple[str, dict[str, Any], str | None]] = [
    ("--readiness", {"action": "store_true", "default": None},
     "bool"),
    ("--readiness-config", {"metavar": "PATH"}, "string"),
    ("--readiness-suite", {"metavar": "NAME[,NAME]", "action": "append"}, "args"),
    ("--readiness-category", {"metavar": "NAME", "action": "append"}, "args"),
    ("--readiness-check", {"metavar": "ID[TARGET]", "action": "append"}, None),
    ("--readiness-json", {"metavar": "PATH"}, "string"),
    ("--readiness-report", {"metavar": "PATH"}, "string"),
    ("--readiness-fail-under", {"metavar": "N", "type": float}, "string"),
    ("--readiness-list", {"action": "store_true", "default": False}, None),
    ("--readiness-timeout", {"metavar": "SECONDS", "type": float}, "string"),
    ("--readiness-html", {"metavar": "PATH"}, "string"),
    ("--readiness-sarif", {"metavar": "PATH"}, "string"),
    ("--readiness-prometheus", {"metavar": "PATH"}, "string"),
    ("--readiness-baseline", {"metavar": "PATH"}, "string"),
    ("--readiness-history", {"metavar": "DIR"}, "string"),
    ("--readiness-fail-on", {"metavar": "SEVERITY"}, "string"),
    ("--readiness-no-regressions", {"action": "store_true", "default": None}, "bool"),
    ("--readiness-shard", {"metavar": "I/N"}, None),
    ("--readiness-local-host", {"action": "store_true", "default": None}, "bool"),
    ("--readiness-profile", {"metavar": "NAME"}, "string"),
]
HELP = {
    "--readiness": "run the production-readiness audit (bundled suites and your own checks)",
    "--readiness-config": "readiness.yaml describing the system (default: rootdir/readiness.yaml)",
    "--readiness-suite": "run only these suites: a suite name (module without test_), a check-id "
                         "prefix (db, ops) or a section title",
    "--readiness-category": "run only checks of this category (security, deployment, ...)",
    "--readiness-check": "run only this check id (glob), optionally one target: 'tls.*[api]'",
    "--readiness-json": "write the result record (JSON) to PATH",
    "--readiness-report": "write the Markdown audit report to PATH",
    "--readiness-fail-under": "exit non-zero when the overall score is below N",
    "--readiness-list": "print the catalogue of checks (id, suite, section, category, severity, "
                        "title)",
    "--readiness-timeout": "stop the whole audit after SECONDS; the partial record is written, "
                           "marked incomplete (exit code 7)",
    "--readiness-html": "write the standalone HTML report (one self-contained file) to PATH",
    "--readiness-sarif": "write SARIF 2.1.0 of every finding with a file and line to PATH",
    "--readiness-prometheus": "write the scorecard as Prometheus textfile metrics to PATH (.prom)",
    "--readiness-baseline": "compare with an earlier result record: fixed, regressed, new, deltas",
    "--readiness-history": "keep every record in DIR and draw scores over time in the HTML report",
    "--readiness-fail-on": "fail the run when a check of SEVERITY or worse fails or errors; "
                           "lower-severity failures are reported but do not fail it",
    "--readiness-no-regressions": "exit non-zero (6) when a check regressed since the baseline",
    "--readiness-shard": "run only shard I of N (deterministic; one host's checks stay together)",
    "--readiness-local-host": "audit the machine running pytest as host 'local' (by default it "
                              "is a target only when readiness.yaml names a local:// host)",
    "--readiness-profile": "policy profile that grades findings: baseline (default: what a "
                           "production reviewer requires) or restricted (hardening); wins over "
                           "readiness.yaml profile:",
}


def suites_dir() -> Path:
    """Bundled suites: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "suites", here.parent / "suites"):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise pytest.UsageError(f"pytest-readiness: bundled suites not found near {here}")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness audit")
    for flag, kwargs, ini_type in OPTIONS:
        dest = flag.lstrip("-").replace("-", "_")
        group.addoption(flag, dest=dest, help=HELP[flag], **kwargs)
        if ini_type:
            parser.addini(dest, HELP[flag], type=ini_type)  # type: ignore[arg-type]


def option(config: pytest.Config, name: str) -> Any:
    """Command line first, then the ini twin (early, before options are parsed, too)."""
    early = getattr(config, "known_args_namespace", None)
    value = config.getoption(name, None)
    if value in (None, [], False) and early is not None:
        value = getattr(early, name, None)
    if value not in (None, [], False):
        return value
    try:
        ini = config.getini(name)
    except ValueError:
        return value
    return ini if ini not in ("", [], None) else value


def _enabled(config: pytest.Config) -> bool:
    return bool(option(config, "readiness"))


def _load_context(config: pytest.Config) -> Context:
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


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    if not _enabled(early_config):
        return
    early = early_config.known_args_namespace
    if not (isolation.isolated() or early.help or early.version) and \
            isolation.is_main_process(early_config.invocation_params.args):
        # The repository's ini file, addopts and CI plugins are for its own tests.
        isolation.reexec(*_isolated_command(early_config),
                         early_config.pluginmanager.get_plugin("capturemanager"))
    context = _load_context(early_config)  # a bad file stops the run here, exit 4
    early_config.stash[CONTEXT_KEY] = context
    named = [context.resolve(p) for p in context.config.checks]
    if early.file_or_dir:
        named += [Path(early_config.invocation_params.dir, a.split("::")[0])
                  for a in early.file_or_dir]
    else:
        args.append(str(suites_dir()))
        args.extend(str(path) for path in named)
    isolation.cut_off_conftests(early_config, args, named)


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
    if not _enabled(config):
        return
    if CONTEXT_KEY not in config.stash:
        config.stash[CONTEXT_KEY] = _load_context(config)
    _name_local_host(config, config.stash[CONTEXT_KEY])
    _choose_profile(config, config.stash[CONTEXT_KEY])
    if config.getoption("readiness_list"):
        config.option.dist = "no"  # the catalogue needs no workers
    config.pluginmanager.register(Fixtures(), "readiness-fixtures")
    config.pluginmanager.register(runtest, "readiness-runtest")
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
    if _enabled(config) and suites_dir() in collection_path.parents and \
            suite_module_unwanted(collection_path, requested_suites(config)):
        return True
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if CONTEXT_KEY in metafunc.config.stash and _enabled(metafunc.config):
        generate_targets(metafunc, metafunc.config.stash[CONTEXT_KEY])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _enabled(config):
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


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    config = session.config
    if not (_enabled(config) and config.getoption("readiness_list")):
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
