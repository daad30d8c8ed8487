"""Insecure framework defaults, read from the AST: debug mode on, any Host accepted, the
auto-reloader in a production entry point. No pytest here.

A setting counts when the code sets it (``DEBUG = True``, ``app.run(debug=True)``) or
when it is read from the environment with an unsafe default (``DEBUG =
env_bool("DJANGO_DEBUG", True)``, ``os.environ.get("DEBUG", "1")``): a deployment that
forgets the variable gets the unsafe value.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from pytest_readiness.plumbing import envreads, names, pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.vocabulary import Level

DEBUG_NAMES = re.compile(r"(?i)^(?:[A-Z]+_)?DEBUG$")
# A module that configures a Django project, and file names that say a module is for
# development only (their DEBUG = True is the point of the file).
DJANGO_SETTINGS = frozenset({"INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE"})
DEV_MODULE = re.compile(r"(?i)(?:^|[/_.-])(?:dev|devel|development|local|test|tests|testing|ci)"
                        r"(?:settings)?\.py$")
DEBUG_LEVELS = (RuleLevel("", Level.ERROR, "debug mode set on, or on by default when the "
                                           "environment says nothing"),)
HOSTS_LEVELS = (RuleLevel("", Level.WARNING, "ALLOWED_HOSTS holds '*' (set or by default): "
                                             "safe only behind a proxy that checks Host"),)
RELOAD_LEVELS = (RuleLevel("", Level.WARNING, "uvicorn/werkzeug auto-reload switched on in "
                                              "an entry point"),)


def _truthy(node: ast.expr | None) -> bool:
    return names.truth(envreads.constant(node)) is True


def env_default(m: pyast.Module, node: ast.expr,
                known: dict[str, envreads.Helper]) -> ast.expr | None:
    """The default of an environment read (plumbing/envreads.py: direct reads, ``or``
    defaults, wrapper helpers such as ``env_bool("DEBUG", True)``, decouple/environ
    getters, seen through casts and string methods); None when ``node`` is no read or
    has no default."""
    read = envreads.read_of(m, node, known)
    return read.default if read is not None and read.has_default else None


def on_by_default(m: pyast.Module, node: ast.expr | None,
                  known: dict[str, envreads.Helper]) -> bool:
    """Whether a setting read from the environment is true when the environment says
    nothing: its default is truthy, or a comparison of the read with a constant holds for
    the default (``os.environ.get("DEBUG", "1") == "1"``; ``... == "0"`` does not)."""
    if node is None:
        return False
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        default = env_default(m, node.left, known)
        if default is None:
            return False
        value, right = envreads.constant(default), _constants(node.comparators[0])
        if not isinstance(value, str) or right is None:
            return False  # an expression: the rule cannot tell
        value = value.strip().lower() if _lowered(node.left) else value
        op = node.ops[0]
        if isinstance(op, (ast.Eq, ast.NotEq)) and len(right) == 1:
            return (value == right[0]) == isinstance(op, ast.Eq)
        if isinstance(op, (ast.In, ast.NotIn)):
            return (value in right) == isinstance(op, ast.In)
        return False
    default = env_default(m, node, known)
    return default is not None and _truthy(default)


def _constants(node: ast.expr) -> list[str] | None:
    """The strings of a constant or a literal tuple/list/set of them; None otherwise."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    values = [pyast.const_str(item) for item in items]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def _lowered(node: ast.expr) -> bool:
    """``read.lower()`` / ``.strip().lower()`` / ``.casefold()``: compared case-folded."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in ("lower", "casefold")


def _is_settings(m: pyast.Module) -> bool:
    assert m.tree is not None
    names = {n for node in m.tree.body if isinstance(node, ast.Assign)
             for t in node.targets for n in pyast.target_names(t)}
    return bool(names & DJANGO_SETTINGS)


def _assignments(m: pyast.Module) -> Iterable[tuple[str, ast.Assign]]:
    assert m.tree is not None
    for node in m.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in pyast.target_names(target):
                    yield pyast.tail(name), node


def _finding(m: pyast.Module, message: str, line: int, level: str = Level.ERROR) -> Finding:
    return Finding("", message, m.rel, line, m.line(line).strip(), level)


def debug_enabled(modules: Iterable[pyast.Module],
                  known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """``app.run(debug=True)`` (the Werkzeug debugger runs code sent to it), a DEBUG setting
    read from the environment with a true default, and ``DEBUG = True`` in a Django
    settings module whose name does not say it is for development."""
    modules = list(modules)
    known = envreads.helpers(modules) if known is None else known
    found = []
    for m in modules:
        for call in m.calls:
            if pyast.tail(call.name) == "run" and _truthy(call.keyword("debug")):
                found.append(_finding(m, f"{call.name}(debug=True): the debugger runs code "
                                         "sent to it", call.line))
        settings = _is_settings(m) and not DEV_MODULE.search(m.rel)
        for name, node in _assignments(m):
            if not DEBUG_NAMES.match(name):
                continue
            if on_by_default(m, node.value, known):
                found.append(_finding(m, f"{name} is on when the environment does not set it",
                                      node.lineno))
            elif settings and _truthy(node.value):
                found.append(_finding(m, f"{name} = True in the settings module",
                                      node.lineno))
    return found


def _holds_star(node: ast.expr | None) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(pyast.const_str(e) == "*" for e in node.elts)
    text = pyast.const_str(node)
    return text is not None and "*" in [p.strip() for p in text.split(",")]


def allowed_hosts_wildcard(modules: Iterable[pyast.Module],
                           known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """``ALLOWED_HOSTS = ["*"]``, or read from the environment with ``*`` as the default:
    any Host header is accepted (poisoned password-reset links and caches)."""
    modules = list(modules)
    known = envreads.helpers(modules) if known is None else known
    found = []
    for m in modules:
        for name, node in _assignments(m):
            if name != "ALLOWED_HOSTS":
                continue
            default = env_default(m, node.value, known)
            if _holds_star(node.value) or _holds_star(default):
                said = "by default" if default is not None else "set"
                found.append(_finding(m, f"ALLOWED_HOSTS accepts any host ('*' {said})",
                                      node.lineno, Level.WARNING))
    return found


RELOAD_CALLS = frozenset({"uvicorn.run", "werkzeug.serving.run_simple", "run_simple",
                          "hypercorn.run", "granian.Granian"})


def reload_enabled(modules: Iterable[pyast.Module],
                   known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """``uvicorn.run(..., reload=True)`` (``use_reloader=True``): a file watcher restarts
    the server on every change, in development mode, with its own process model."""
    modules = list(modules)
    known = envreads.helpers(modules) if known is None else known
    found = []
    for m in modules:
        for call in m.calls:
            if call.name not in RELOAD_CALLS and pyast.tail(call.name) != "run":
                continue
            for key in ("reload", "use_reloader"):
                node = call.keyword(key)
                if _truthy(node) or on_by_default(m, node, known):
                    line = node.lineno if node is not None else call.line
                    found.append(_finding(m, f"{call.name}({key}=True): the auto-reloader "
                                             "in an entry point", line, Level.WARNING))
    return found


# A command line that starts a server with its auto-reloader: compose ``command:`` /
# ``entrypoint:`` and Dockerfile ``CMD`` / ``ENTRYPOINT`` (a ``RUN`` line builds, it
# serves nothing).
RELOAD_FLAG = re.compile(r"""(?:^|[\s"',\[])--reload(?:$|[\s"',\]=])""")
COMMAND_LINE = re.compile(r"(?i)^\s*(?:-\s*)?(?:command|entrypoint)\s*:|^\s*(?:CMD|ENTRYPOINT)\b")


def reload_in_commands(files: Iterable[tuple[str, list[str]]]) -> list[Finding]:
    """``--reload`` on a compose command or a Dockerfile CMD/ENTRYPOINT: the image or
    service runs the development server. ``files`` are (path, lines) of compose files and
    Dockerfiles; a compose development overlay is judged by its role (a note)."""
    found = []
    for rel, lines in files:
        in_command = False
        for number, line in enumerate(lines, start=1):
            starts = bool(COMMAND_LINE.search(line))
            # a YAML list or folded command continues on the lines after the key
            if starts or (in_command and line.startswith((" ", "\t")) and
                          not re.match(r"^\s*[\w-]+\s*:", line)):
                in_command = True
                if RELOAD_FLAG.search(line):
                    found.append(Finding("", "the server runs with --reload (the development "
                                             "auto-reloader)", rel, number, line.strip(),
                                         Level.WARNING))
            else:
                in_command = False
    return found
