"""The audit runs apart from the audited repository's own pytest setup.

A repository's pytest setup is for its own tests: ini options (``addopts`` such as
``--strict-markers`` or ``--cov``, ``testpaths``, ``python_files``, ``markers``,
``filterwarnings``), ``PYTEST_ADDOPTS``, plugins installed in CI for those tests
(pytest-django, pytest-asyncio, pytest-cov, pytest-randomly, pytest-timeout) and
``conftest.py`` files that import the project. None of it may break or change an
audit, and the project's tests never run in one. Two mechanisms:

1. **Conftest cut-off** (every process, always): no ``conftest.py`` is loaded
   except those inside the paths the user named for the audit (``checks:`` in
   readiness.yaml, or paths given on the command line), which were written for it.
2. **A clean process**: ``pytest --readiness`` re-executes itself once, before
   collection, as ``python -P -m pytest -c <bundled audit.ini> --rootdir <root> ...``
   with plugin autoloading off and only the plugins an audit uses (this one,
   pytest-testinfra, pytest-xdist, pytest-html), so the repository's ini file,
   ``PYTEST_ADDOPTS`` and CI plugins never apply, and ``-P`` (and
   ``PYTHONSAFEPATH=1`` for the Pythons it starts: xdist's workers) keeps the
   current directory (the audited tree) off ``sys.path``: a ``yaml.py`` or
   ``execnet.py`` at its root is never imported in place of the library. The
   command line the user typed is kept whole; ``readiness_*`` ini settings and
   ``--readiness*`` options from ``addopts`` are carried over (they were written
   for the audit).

   A process that already is what the re-execution would make (no ini setting,
   no ``PYTEST_ADDOPTS`` or ``PYTEST_PLUGINS``, exactly the audit's plugins
   loaded, the current directory not on ``sys.path``: an audit's own
   environment, such as the README's audit command) is not re-executed; it takes
   the child's environment (below) and runs the audit itself (:func:`not_clean`).

The audit's process is marked with ``PYTEST_READINESS_ISOLATED=1``; setting it
yourself runs the audit in the current process (your plugins active; the conftest
cut-off still applies). ``pytest.main([...])`` called from Python also stays in
process. See docs/configuration.md, "How the audit is isolated".
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ISOLATED_ENV = "PYTEST_READINESS_ISOLATED"
# Set by a parent that had the audited directory on sys.path, for the audit's record.
PARENT_PATH_ENV = "PYTEST_READINESS_PARENT_PATH"
AUDIT_INI = Path(__file__).with_name("audit.ini")
# Plugins an audit may use, by module (imported through PYTEST_PLUGINS in every
# process, xdist workers included), with the name a user blocks them by (-p no:NAME).
AUDIT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("readiness", "pytest_readiness.plugin"),
    # pytest-testinfra is an audit's dependency, so every audit environment autoloads
    # its plugin: the audit's process loads it too (its ``host`` fixture is overridden
    # by the audit's own, its options are refused under --readiness: audit_hooks.py).
    ("pytest11.testinfra", "testinfra.plugin"),
    ("xdist", "xdist.plugin"),
    ("xdist.looponfail", "xdist.looponfail"),  # pytest-xdist's second entry point
    ("metadata", "pytest_metadata.plugin"),
    ("html_fixtures", "pytest_html.fixtures"),  # before html, which imports it
    ("html", "pytest_html.plugin"),
)
# Environment of the project's own test runs that must not reach the audit.
DROPPED_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
# Conftest files are looked for this deep below a named directory, skipping these.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv",
                          "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache"})
MAX_DEPTH = 12


def isolated() -> bool:
    """True in the audit's own process (or when the user asked to stay in process)."""
    return os.environ.get(ISOLATED_ENV, "") not in ("", "0")


def is_main_process(invocation_args: Sequence[str]) -> bool:
    """pytest was started from the command line with these args (not ``pytest.main``)."""
    return tuple(sys.argv[1:]) == tuple(invocation_args)


def blocked_plugins(args: Iterable[str]) -> set[str]:
    """Names blocked with ``-p no:NAME`` / ``-pno:NAME`` on the command line."""
    names: set[str] = set()
    previous = ""
    for arg in args:
        value = arg[2:] if arg.startswith("-p") and len(arg) > 2 else \
            arg if previous == "-p" else ""
        if value.startswith("no:"):
            names.add(value[3:])
        previous = arg
    return names


def audit_plugins(args: Sequence[str]) -> list[str]:
    """Plugin modules for the child's PYTEST_PLUGINS: installed, and not blocked."""
    blocked = blocked_plugins(args)
    found = []
    for name, module in AUDIT_PLUGINS:
        if name in blocked or module in blocked:
            continue
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(module)
        except (ImportError, ValueError):  # a parent package is missing
            continue
    return found


def foreign_plugins() -> list[str]:
    """Entry-point names of installed pytest plugins that are not the audit's (an audit's
    own install has none: runs that stand for one block them with :func:`block_args`)."""
    from importlib.metadata import entry_points

    ours = {module for _, module in AUDIT_PLUGINS}
    return sorted({e.name for e in entry_points(group="pytest11") if e.value not in ours})


def block_args(names: Iterable[str]) -> list[str]:
    """``-p no:NAME`` for each name (the inverse of :func:`blocked_plugins`)."""
    return [arg for name in names for arg in ("-p", f"no:{name}")]


def _has_option(args: Sequence[str], *names: str) -> bool:
    return any(a in names or a.startswith(tuple(f"{n}=" for n in names)) for a in args)


def carried_addopts(addopts: Sequence[str], takes_value: set[str]) -> list[str]:
    """The ``--readiness*`` options among ``addopts`` (with their values): kept."""
    kept: list[str] = []
    tokens = iter(addopts)
    for token in tokens:
        if not token.startswith("--readiness"):
            continue
        kept.append(token)
        if "=" not in token and token in takes_value:
            value = next(tokens, None)
            if value is not None:
                kept.append(value)
    return kept


def ini_overrides(values: dict[str, Any]) -> list[str]:
    """``-o name=value`` for each readiness ini setting the repository's ini file set."""
    overrides = []
    for name, value in sorted(values.items()):
        if value in (None, "", [], False):
            continue
        if isinstance(value, bool):
            text = "true"
        elif isinstance(value, (list, tuple)):
            text = shlex.join(str(v) for v in value)
        else:
            text = str(value)
        overrides += ["-o", f"{name}={text}"]
    return overrides


def child_argv(user_args: Sequence[str], rootdir: Path, carried: Sequence[str] = ()) -> list[str]:
    """The clean process's command line: the user's arguments kept whole."""
    # -P: the current directory (the audited tree) is not put on sys.path.
    argv = [sys.executable, "-P", "-m", "pytest"]
    if not _has_option(user_args, "-c", "--config-file", "--inifile"):
        argv += ["-c", str(AUDIT_INI)]
    if not _has_option(user_args, "--rootdir"):
        argv += [f"--rootdir={rootdir}"]
    extra = list(carried)
    if not _has_option(user_args, "--readiness") and not _has_option(extra, "--readiness"):
        extra.insert(0, "--readiness")
    return argv + extra + list(user_args)


def child_env(user_args: Sequence[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for name in (*DROPPED_ENV, PARENT_PATH_ENV):  # the parent sets the latter itself
        env.pop(name, None)
    # No Python the audit starts puts its current directory (the audited tree) on
    # sys.path: xdist's workers start as ``python -c`` there and import execnet first.
    env["PYTHONSAFEPATH"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTEST_PLUGINS"] = ",".join(audit_plugins(user_args))
    env[ISOLATED_ENV] = "1"
    return env


def not_clean(config: Any, user_args: Sequence[str],
              environ: Mapping[str, str] | None = None) -> str | None:
    """Why this process is not what the re-execution would make; None when it is.

    The child differs from its parent only by what :func:`child_argv` and
    :func:`child_env` change: the ini file, ``PYTEST_ADDOPTS`` and ``PYTEST_PLUGINS``,
    the plugins and ``sys.path`` (the environment of the Pythons it starts is given
    to this process too, by :func:`stay`). When none of them differs, re-executing would start the
    same process again, so the audit runs here (:func:`stay`).
    """
    env = os.environ if environ is None else environ
    for name in DROPPED_ENV:
        if env.get(name, "").strip():
            return f"{name} is set"
    if _ini_values(config):
        return f"{config.inipath} sets pytest options"
    entry = tree_on_path(config)
    if entry is not None:
        return f"the audited directory {entry} is on sys.path"
    loaded = {getattr(plugin, "__name__", repr(plugin))
              for plugin, _ in config.pluginmanager.list_plugin_distinfo()}
    wanted = set(audit_plugins(user_args))
    if loaded != wanted:
        return "plugins other than the audit's: " + ", ".join(sorted(loaded ^ wanted))
    return None


def tree_on_path(config: Any) -> str | None:
    """The entry of ``sys.path`` that is the audited directory (the current directory or
    the rootdir), put there by ``python -m`` or a pytest ini ``pythonpath``; or None."""
    here = {Path(config.invocation_params.dir).resolve(), Path(config.rootpath).resolve()}
    for entry in sys.path:
        if not entry or Path(entry).resolve() in here:
            return entry or "."
    return None


def parent_notes(environ: Mapping[str, str] | None = None) -> list[str]:
    """What the audit's process says about the process that started it (record notes)."""
    entry = (os.environ if environ is None else environ).get(PARENT_PATH_ENV, "")
    if not entry:
        return []
    return [f"pytest started with the audited directory {entry} on sys.path (python -m "
            "pytest, or the repository's pytest ini `pythonpath`): pytest and its plugins "
            "may have imported modules of the tree before the audit began; audit a tree you "
            "do not trust with `pytest-readiness audit` (docs/configuration.md)"]


def _ini_values(config: Any) -> list[str]:
    """Settings of the ini file pytest found (``-o`` overrides are not: they are kept)."""
    values = getattr(config, "_inicfg", None)  # pytest 9: name -> ConfigValue
    if values is None:
        values = config.__dict__.get("inicfg")  # pytest 8: a plain dict of the file's values
    if values is None:
        return ["(unknown)"]  # a pytest that keeps them elsewhere: assume some
    return [name for name, value in values.items() if getattr(value, "origin", "") != "override"]


def stay(user_args: Sequence[str]) -> None:
    """Run the audit in this process: give it the environment the child would have,
    which xdist workers and any process the audit starts inherit."""
    env = child_env(user_args)
    for name in set(os.environ) - set(env):
        del os.environ[name]
    os.environ.update(env)


def reexec(argv: list[str], env: dict[str, str], capture_manager: Any = None) -> None:
    """Replace this process with the audit's own (never returns on success)."""
    if capture_manager is not None:  # pytest redirected fds 1 and 2 already: give them back
        capture_manager.stop_global_capturing()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execve(argv[0], argv, env)


# -- conftest cut-off -----------------------------------------------------------


def named_conftests(paths: Iterable[Path]) -> list[Path]:
    """conftest.py files the user named for the audit: inside named directories (and
    below), or beside named files. Sorted and unique; never above a named path."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            candidate = path.parent / "conftest.py"
            if candidate.is_file():
                found[candidate.resolve()] = None
        elif path.is_dir():
            for candidate in _walk_conftests(path):
                found[candidate.resolve()] = None
    # Parents before children: a child conftest may rely on its parent's fixtures.
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


def _walk_conftests(root: Path) -> list[Path]:
    found = []
    stack = [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.name == "conftest.py" and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
            elif (entry.is_dir(follow_symlinks=False) and depth < MAX_DEPTH
                  and entry.name not in SKIPPED_DIRS):
                stack.append((Path(entry.path), depth + 1))
    return found


def cut_off_conftests(early_config: Any, args: list[str], named: Sequence[Path]) -> None:
    """Load no conftest.py but those in ``named`` paths (every process, xdist workers too).

    ``--noconftest`` goes into ``args`` as well as the early namespace, so that the
    parsed options (and so xdist's workers, which receive them) carry it.
    """
    early_config.known_args_namespace.noconftest = True
    if "--noconftest" not in args:
        args.append("--noconftest")
    manager = early_config.pluginmanager
    namespace = early_config.known_args_namespace
    for path in named_conftests(named):
        manager._importconftest(  # the one private call: pytest's own conftest loader
            path, namespace.importmode, early_config.rootpath,
            consider_namespace_packages=bool(early_config.getini("consider_namespace_packages")),
        )
