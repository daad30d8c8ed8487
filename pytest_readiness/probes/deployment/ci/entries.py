"""What a named entry point runs, read from the file that defines it: Makefile targets,
justfile recipes, tox environments, nox sessions, package.json scripts, pre-commit hooks
and shell scripts. Each parser turns one file's text into :class:`Recipe` s (name, the
line it is defined at, what it depends on, its command lines); nothing is executed.
Pure functions of text (cached: a Makefile many steps call is parsed once; callers
never change what they return), no pytest here.
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from pytest_readiness.plumbing.yamlpos import document

Lines = tuple[tuple[int, str], ...]  # (1-based line, command text)


@dataclass(frozen=True)
class Recipe:
    """One entry point: a make target, a just recipe, a tox env, an npm script..."""

    name: str
    line: int
    lines: Lines = ()
    deps: tuple[str, ...] = ()  # run before it: make prerequisites, just deps, npm pre/post


def shell_lines(text: str, first_line: int = 1) -> Lines:
    """The command lines of a shell text: continuations (``\\``) joined, blank and comment
    lines dropped, each with the line it starts at."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = first_line
    for number, raw in enumerate(text.splitlines(), start=first_line):
        stripped = raw.strip()
        if not pending:
            start = number
            if not stripped or stripped.startswith("#"):
                continue
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        out.append((start, " ".join(p for p in pending if p)))
        pending = []
    if pending:
        out.append((start, " ".join(p for p in pending if p)))
    return tuple(out)


# --- Makefile ------------------------------------------------------------------------

_MAKE_ASSIGN = re.compile(r"^\s*(override\s+|export\s+)?[\w.${}()-]+\s*(:{1,3}=|\?=|\+=|!=|=)")
_MAKE_RULE = re.compile(r"^([^\s:#=][^:#=]*?)\s*::?(?!=)\s*(.*)$")
_MAKE_DIRECTIVE = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef|else|endif|include|-include|"
                             r"sinclude|export|unexport|vpath|undefine)\b")


def _make_recipe_line(text: str) -> str:
    """A recipe line as the shell sees it; a ``-`` prefix (make ignores the line's failure)
    is kept as a leading ``-`` so the exit-status rules can see it."""
    body = text.lstrip()
    prefix = re.match(r"[@+\-\s]*", body)
    flags = prefix.group(0) if prefix else ""
    command = body[len(flags):]
    command = re.sub(r"\$[({]MAKE[)}]", "make", command)
    return ("-" if "-" in flags else "") + command


@lru_cache(maxsize=64)
def makefile(text: str) -> dict[str, Recipe]:
    """Targets of a Makefile: prerequisites and recipe lines (tab-indented), with
    ``$(MAKE)`` read as ``make``. Pattern rules and special targets are left out."""
    targets: dict[str, Recipe] = {}
    current: list[str] = []
    in_define = False
    physical = text.splitlines()
    index = 0
    while index < len(physical):
        number, raw = index + 1, physical[index]
        while raw.endswith("\\") and index + 1 < len(physical):
            index += 1
            raw = raw[:-1] + " " + physical[index].strip()
        index += 1
        if in_define:
            in_define = not raw.strip().startswith("endef")
            continue
        if raw.startswith("\t"):
            command = _make_recipe_line(raw)
            if current and command.strip("- ") and not command.lstrip("-").startswith("#"):
                for name in current:
                    old = targets[name]
                    targets[name] = Recipe(name, old.line, old.lines + ((number, command),),
                                           old.deps)
            continue
        stripped = raw.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        if stripped.lstrip().startswith("define"):
            in_define, current = True, []
            continue
        if _MAKE_DIRECTIVE.match(stripped) or _MAKE_ASSIGN.match(stripped):
            current = [] if not _MAKE_DIRECTIVE.match(stripped) else current
            continue
        rule = _MAKE_RULE.match(stripped)
        if not rule:
            current = []
            continue
        names = [n for n in rule.group(1).split() if "%" not in n and not n.startswith(".")]
        rest, _, inline = rule.group(2).partition(";")
        deps = tuple(d for d in rest.split() if d != "|" and "%" not in d)
        current = names
        for name in names:
            old = targets.get(name, Recipe(name, number))
            lines = old.lines + (((number, inline.strip()),) if inline.strip() else ())
            targets[name] = Recipe(name, old.line, lines, old.deps + deps)
    return targets


def makefile_includes(text: str) -> list[str]:
    """Files a Makefile includes (``include a.mk b.mk``, ``-include``), as written; names
    made of variables are left out."""
    out = []
    for raw in text.splitlines():
        match = re.match(r"^\s*-?s?include\s+(.+)$", raw.split("#", 1)[0])
        if match:
            out += [name for name in match.group(1).split() if "$" not in name]
    return out


# --- justfile ------------------------------------------------------------------------

_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)((?:\s+[^:=\s][^:=]*?)?)\s*:(?!=)\s*(.*)$")
_JUST_ALIAS = re.compile(r"^alias\s+([\w-]+)\s*:=\s*([\w-]+)")


@lru_cache(maxsize=64)
def justfile(text: str) -> dict[str, Recipe]:
    """Recipes of a justfile (aliases included): dependencies and body lines."""
    recipes: dict[str, Recipe] = {}
    aliases: dict[str, str] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t"):
            body = raw.strip()
            if current and body and not body.startswith("#"):
                old = recipes[current]
                command = body.lstrip("@")
                command = ("-" + command[1:]) if command.startswith("-") else command
                recipes[current] = Recipe(current, old.line, old.lines + ((number, command),),
                                          old.deps)
            continue
        current = None
        alias = _JUST_ALIAS.match(raw)
        if alias:
            aliases[alias.group(1)] = alias.group(2)
            continue
        if raw.startswith(("set ", "export ", "import ", "mod ", "#", "[")):
            continue
        recipe = _JUST_RECIPE.match(raw)
        if recipe:
            current = recipe.group(1)
            deps = tuple(re.findall(r"\(?([A-Za-z_][\w-]*)", recipe.group(3).split("&&")[0]))
            recipes[current] = Recipe(current, number, (), deps)
    for alias_name, target in aliases.items():
        if target in recipes and alias_name not in recipes:
            recipes[alias_name] = Recipe(alias_name, recipes[target].line, (), (target,))
    return recipes


# --- tox -----------------------------------------------------------------------------

_FACTOR_PREFIX = re.compile(r"^[\w{},!.-]+:\s+(?=\S)")


def _tox_commands(value: str, first_line: int) -> Lines:
    out = []
    for offset, raw in enumerate(value.splitlines()):
        command = _FACTOR_PREFIX.sub("", raw.strip())
        if command and not command.startswith("#"):
            out.append((first_line + offset, command))
    return tuple(out)


def _ini_line(text: str, section: str) -> int:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() == f"[{section}]":
            return number
    return 1


@lru_cache(maxsize=64)
def tox_ini(text: str, prefix: str = "") -> tuple[dict[str, Recipe], list[str]]:
    """(environments, the default env list) of a tox.ini / setup.cfg / ``legacy_tox_ini``.
    ``[testenv]`` gives the commands of every env without its own section."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}, []
    envs: dict[str, Recipe] = {}
    for section in parser.sections():
        if section == "testenv" or section.startswith("testenv:"):
            name = section.partition(":")[2] or "*"
            line = _ini_line(text, section)
            commands = parser.get(section, "commands", fallback="")
            envs[name] = Recipe(name, line, _tox_commands(commands, line + 1))
    core = f"{prefix}tox" if prefix else "tox"
    listed = parser.get(core, "envlist", fallback="") or parser.get(core, "env_list",
                                                                    fallback="")
    return envs, [e.strip() for e in re.split(r"[,\s]+", listed) if e.strip()]


def tox_toml(data: dict[str, Any]) -> tuple[dict[str, Recipe], list[str]]:
    """(environments, env list) of pyproject's ``[tool.tox]`` (native or legacy_tox_ini)."""
    tox = data.get("tool", {}).get("tox", {})
    if not isinstance(tox, dict):
        return {}, []
    if isinstance(tox.get("legacy_tox_ini"), str):
        return tox_ini(tox["legacy_tox_ini"])
    envs: dict[str, Recipe] = {}

    def commands(table: object) -> Lines:
        found = table.get("commands", []) if isinstance(table, dict) else []
        return tuple((1, " ".join(str(part) for part in command))
                     for command in found if isinstance(command, list))
    envs["*"] = Recipe("*", 1, commands(tox.get("env_run_base")))
    for name, table in (tox.get("env") or {}).items():
        envs[str(name)] = Recipe(str(name), 1, commands(table))
    listed = tox.get("env_list") or []
    return envs, [str(e) for e in listed] if isinstance(listed, list) else []


def tox_env(envs: dict[str, Recipe], name: str) -> Recipe | None:
    return envs.get(name) or (Recipe(name, envs["*"].line, envs["*"].lines)
                              if "*" in envs else None)


# --- nox -----------------------------------------------------------------------------


def _decorator_session_name(node: ast.FunctionDef) -> str | None:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name != "session":
            continue
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
        return node.name
    return None


def _call_words(call: ast.Call) -> str:
    words = []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            words.append(arg.value)
        elif isinstance(arg, ast.Starred):
            words.append("…")
    return " ".join(words)


@lru_cache(maxsize=64)
def noxfile(text: str) -> tuple[dict[str, Recipe], list[str]]:
    """(sessions, ``nox.options.sessions``): each session's ``session.run(...)`` commands
    (string arguments joined; a file that does not parse has no sessions)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}, []
    sessions: dict[str, Recipe] = {}
    defaults: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            name = _decorator_session_name(node)
            if name is None:
                continue
            lines = tuple((call.lineno, _call_words(call)) for call in ast.walk(node)
                          if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                          and call.func.attr in ("run", "run_always", "run_install"))
            sessions[name] = Recipe(name, node.lineno, tuple(x for x in lines if x[1]))
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
            if any(ast.unparse(t).endswith("options.sessions") for t in node.targets):
                defaults = [e.value for e in node.value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return sessions, defaults


# --- package.json --------------------------------------------------------------------


def package_json(text: str) -> dict[str, Any]:
    """A package.json as a mapping ({} when it does not parse)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=64)
def package_scripts(text: str) -> dict[str, Recipe]:
    """npm scripts, each with its ``pre``/``post`` scripts as dependencies (npm, pnpm and
    yarn 1 run them around it)."""
    scripts = package_json(text).get("scripts")
    if not isinstance(scripts, dict):
        return {}
    lines = text.splitlines()

    def line_of(name: str) -> int:
        needle = json.dumps(name) + ":"
        return next((n for n, raw in enumerate(lines, 1) if needle in raw.replace('": ', '":')),
                    1)
    out = {}
    for name, command in scripts.items():
        if not isinstance(command, str):
            continue
        deps = tuple(d for d in (f"pre{name}", f"post{name}") if d in scripts)
        out[name] = Recipe(name, line_of(name), ((line_of(name), command),), deps)
    return out


# --- pre-commit ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def precommit_hooks(text: str) -> Lines:
    """Each hook of a .pre-commit-config.yaml as ``id entry`` (its line unknown: 1)."""
    try:
        data = document(text)
    except yaml.YAMLError:
        return ()
    out = []
    for repo in (data or {}).get("repos", []) if isinstance(data, dict) else []:
        for hook in (repo.get("hooks") or []) if isinstance(repo, dict) else []:
            if isinstance(hook, dict) and hook.get("id"):
                out.append((1, f"{hook['id']} {hook.get('entry') or ''}".strip()))
    return tuple(out)


def toml(text: str) -> dict[str, Any] | None:
    """A TOML document, None when it does not parse."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None
