"""What a CI step runs, resolved down into the tree: a step line ``make check`` becomes the
recipe of ``check`` (and of its prerequisites), ``./test.sh`` the script's lines,
``npm test`` the ``test`` script of package.json, ``tox -e py`` the env's commands,
``nox -s tests`` the session's ``session.run`` calls, ``pre-commit run`` the hooks. A
resolved line is resolved in turn, down to :data:`MAX_DEPTH` levels, so ``make
generate`` -> ``./gen-proto.sh`` -> ``protoc ...`` is seen. Nothing is executed.
No pytest here.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from pytest_readiness.plumbing.tree import Inventory, SourceFile

from . import entries
from .entries import Recipe

MAX_DEPTH = 3  # step line -> make target -> script it calls
MAX_COMMANDS = 600  # per step: a bound, not a limit a real pipeline reaches
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".ksh", ".py", ".js", ".mjs", ".cjs", ".ts", ".ps1",
                   ".pl", ".rb")
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "source", "."})
INTERPRETERS = frozenset({"python", "python3", "node", "deno", "ts-node", "tsx", "pwsh",
                          "perl", "ruby"})
# Programs that run the rest of the line: `uv run pytest`, `sudo -E ./x.sh`, `timeout 5m make`.
WRAPPERS = {"sudo": 0, "env": 0, "time": 0, "nice": 0, "exec": 0, "nohup": 0,
            "xvfb-run": 0, "stdbuf": 0, "timeout": 1, "npx": 0, "bunx": 0, "pnpx": 0}
SUBCOMMAND_WRAPPERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("rye", "run"),
                       ("pdm", "run"), ("hatch", "run"), ("pnpm", "exec"), ("pixi", "run"),
                       ("conda", "run"), ("mamba", "run"), ("uvx", ""), ("pipx", "run")}
NODE_BUILTINS = frozenset({"install", "i", "ci", "add", "remove", "rm", "uninstall", "exec",
                           "dlx", "x", "create", "init", "publish", "pack", "link", "audit",
                           "outdated", "update", "upgrade", "why", "info", "view", "config",
                           "cache", "store", "list", "ls", "set", "version", "login", "logout",
                           "dedupe", "prune", "rebuild", "fetch", "import", "patch", "node",
                           "workspaces", "help", "install-test", "pm", "up",
                           "upgrade-interactive", "licenses", "setup", "env", "deploy",
                           "doctor"})
OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"})
_VAR_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WORKSPACE_PREFIX = re.compile(r"^(\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?|"
                               r"\$\{?CI_PROJECT_DIR\}?)/?")


@dataclass(frozen=True)
class Command:
    """One command line a step runs: its own, or one found by following what it calls.
    ``via`` are the lines that led here, outermost first (the step's own line first), so
    a ``|| true`` anywhere on the way is seen."""

    text: str
    file: str
    line: int
    depth: int = 0
    via: tuple[str, ...] = ()
    entry: str = ""  # the entry point it belongs to: "make test", "./test.sh", "npm run lint"

    @property
    def shell(self) -> str:
        """The line as the shell runs it (make's and just's ``-`` prefix dropped)."""
        return self.text.lstrip("-")

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Sources:
    """The codebase's files, read on demand and cached (texts of scripts, Makefiles...)."""

    inventory: Inventory
    files: dict[str, SourceFile] = field(default_factory=dict)
    cache: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.files = {f.rel: f for f in self.inventory.files}

    def exists(self, rel: str) -> bool:
        return rel in self.files

    def text(self, rel: str) -> str | None:
        if rel not in self.cache:
            found = self.files.get(rel)
            self.cache[rel] = self.inventory.text(found) if found is not None else None
        return self.cache[rel]

    def under(self, directory: str, name: str) -> list[str]:
        """Files called ``name`` at or below ``directory``."""
        prefix = f"{directory}/" if directory else ""
        return [rel for rel in self.files if rel.startswith(prefix)
                and rel.rpartition("/")[2] == name]


def join(cwd: str, path: str) -> str:
    """``path`` (as a step or script writes it, run in ``cwd``) relative to the codebase
    root: '' is the root, an absolute path stays absolute (outside the tree)."""
    rooted = _WORKSPACE_PREFIX.sub("", path)
    if rooted != path:
        cwd, path = "", rooted or "."
    if path.startswith("/"):
        return path
    joined = posixpath.normpath(posixpath.join(cwd, path))
    return "" if joined == "." else joined


def words(line: str) -> list[list[str]]:
    """The simple commands of a shell line as word lists (split at ``&&``, ``||``, ``;``,
    ``|``); a line shlex cannot split is split at blanks."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = line.split()
    out: list[list[str]] = [[]]
    for token in tokens:
        if token in OPERATORS:
            out.append([])
        else:
            out[-1].append(token)
    return [w for w in out if w]


def program(tokens: list[str]) -> list[str]:
    """The words from the program on: variable assignments and wrappers left out."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        base = posixpath.basename(token)
        if _VAR_ASSIGN.match(token):
            index += 1
        elif base in WRAPPERS:
            index += 1
            while index < len(tokens) and (tokens[index].startswith("-")
                                           or _VAR_ASSIGN.match(tokens[index])):
                index += 1
            index += WRAPPERS[base]
        elif index + 1 < len(tokens) and (base, tokens[index + 1]) in SUBCOMMAND_WRAPPERS:
            index += 2
            while index < len(tokens) and tokens[index].startswith("-"):
                index += 1
        elif (base, "") in SUBCOMMAND_WRAPPERS:
            index += 1
        else:
            break
    return tokens[index:]


def _options(args: list[str], with_value: frozenset[str]) -> tuple[dict[str, str], list[str]]:
    """(options with their values, positional words) of a command's arguments."""
    options: dict[str, str] = {}
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg.startswith("--") and "=" in arg:
            key, _, value = arg.partition("=")
            options[key] = value
        elif arg in with_value and index + 1 < len(args):
            options[arg] = args[index + 1]
            index += 1
        elif arg.startswith("-") and len(arg) > 2 and arg[:2] in with_value:
            options[arg[:2]] = arg[2:]
        elif arg.startswith("-"):
            options[arg] = ""
        else:
            positional.append(arg)
        index += 1
    return options, positional


@dataclass(frozen=True)
class Invocation:
    """What one simple command calls: a kind (make, just, tox, nox, npm, script,
    pre-commit), the names it asks for and where their definitions are looked up."""

    kind: str
    names: tuple[str, ...]
    cwd: str
    file: str = ""  # an explicit definition file (make -f, just --justfile, tox -c)
    select: tuple[str, ...] = ()  # npm workspaces / pnpm filters


_MAKE_VALUES = frozenset({"-C", "-f", "--directory", "--file", "--makefile", "-I", "-o", "-W"})
_JUST_VALUES = frozenset({"-f", "--justfile", "-d", "--working-directory", "--set"})
_TOX_VALUES = frozenset({"-e", "--env", "-c", "--conf", "--root", "--workdir", "-f", "-m",
                         "--installpkg"})
_NOX_VALUES = frozenset({"-f", "--noxfile", "-p", "--python", "-t", "--tags", "-k"})
_NODE_VALUES = frozenset({"--prefix", "-C", "--dir", "--cwd", "-w", "--workspace", "--filter",
                          "-F"})


def invocation(tokens: list[str], cwd: str) -> Invocation | None:
    """What a simple command (as words) calls, or None for a program we do not follow."""
    words_ = program(tokens)
    if not words_:
        return None
    name, args = posixpath.basename(words_[0]), words_[1:]
    if name in ("make", "gmake", "$(MAKE)", "${MAKE}"):
        options, targets = _options(args, _MAKE_VALUES)
        directory = join(cwd, options.get("-C") or options.get("--directory") or ".")
        makefile = options.get("-f") or options.get("--file") or options.get("--makefile")
        return Invocation("make", tuple(t for t in targets if "=" not in t and not t.isdigit()),
                          directory,
                          join(directory, makefile) if makefile else "")
    if name == "just":
        options, recipes = _options(args, _JUST_VALUES)
        directory = join(cwd, options.get("-d") or options.get("--working-directory") or ".")
        justfile = options.get("-f") or options.get("--justfile")
        return Invocation("just", tuple(recipes), directory,
                          join(cwd, justfile) if justfile else "")
    if name == "tox":
        options, rest = _options(args, _TOX_VALUES)
        envs = options.get("-e") or options.get("--env") or ""
        config = options.get("-c") or options.get("--conf")
        names = tuple(e for e in re.split(r"[,\s]+", envs) if e and e != "ALL")
        return Invocation("tox", names, cwd, join(cwd, config) if config else "")
    if name == "nox":
        sessions: list[str] = []
        options, rest = _options(args, _NOX_VALUES)
        for index, arg in enumerate(args):
            if arg in ("-s", "-e", "--session", "--sessions"):
                sessions += [a for a in args[index + 1:] if not a.startswith("-")][:8]
        noxfile = options.get("-f") or options.get("--noxfile")
        return Invocation("nox", tuple(sessions), cwd, join(cwd, noxfile) if noxfile else "")
    if name in ("npm", "pnpm", "yarn", "bun"):
        return _node_invocation(name, args, cwd)
    if name in ("pre-commit", "prek") and args[:1] == ["run"]:
        return Invocation("pre-commit", (), cwd)
    if name in SHELLS or name in INTERPRETERS or re.fullmatch(r"python\d(\.\d+)?", name):
        options, rest = _options(args, frozenset({"-c", "-m", "-W", "-X"}))
        if "-c" in options:
            return Invocation("text", (options["-c"],), cwd)
        if "-m" in options or not rest:
            return None
        return Invocation("script", (rest[0],), cwd)
    if "/" in words_[0] or words_[0].endswith(SCRIPT_SUFFIXES):
        return Invocation("script", (words_[0],), cwd)
    return None


def _node_invocation(name: str, args: list[str], cwd: str) -> Invocation | None:
    options, rest = _options(args, _NODE_VALUES)
    directory = join(cwd, options.get("--prefix") or options.get("-C") or options.get("--dir")
                     or options.get("--cwd") or ".")
    select = tuple(v for k, v in options.items() if k in ("-w", "--workspace", "--filter", "-F"))
    if any(k in options for k in ("-r", "--recursive", "--workspaces", "-ws")):
        select += ("*",)
    if name == "yarn" and rest[:1] == ["workspace"] and len(rest) >= 3:
        select, rest = select + (rest[1],), rest[2:]
    if not rest:
        return None
    verb = rest[0]
    if verb in ("test", "t", "tst"):
        script = "test"
    elif verb in ("start", "stop", "restart"):
        script = verb
    elif verb in ("run", "run-script", "rum", "urn"):
        if len(rest) < 2:
            return None
        script = rest[1]
    elif name != "npm" and verb not in NODE_BUILTINS:
        script = verb  # pnpm lint, yarn lint, bun lint
    else:
        return None
    if name == "bun" and verb in ("test", "build"):
        return None  # bun's own test runner and bundler, not scripts
    return Invocation("npm", (script,), directory, select=select)


# --- following an invocation to its definition ----------------------------------------


def _first_existing(sources: Sources, directory: str, names: tuple[str, ...]) -> str | None:
    for name in names:
        rel = join(directory, name)
        if sources.exists(rel):
            return rel
    return None


def _closure(recipes: dict[str, Recipe], names: tuple[str, ...]) -> Iterator[Recipe]:
    """The recipes asked for, each after its dependencies (each once)."""
    seen: set[str] = set()

    def visit(name: str) -> Iterator[Recipe]:
        if name in seen or name not in recipes or len(seen) > 200:
            return
        seen.add(name)
        recipe = recipes[name]
        for dep in recipe.deps:
            if not dep.startswith("post"):
                yield from visit(dep)
        yield recipe
        for dep in recipe.deps:
            if dep.startswith("post"):
                yield from visit(dep)
    for name in names:
        yield from visit(name)


def definitions(call: Invocation, sources: Sources) -> list[tuple[str, str, Recipe]]:
    """(label, file, recipe) for what an invocation runs, as far as the tree shows it."""
    if call.kind == "make":
        rel = call.file or _first_existing(sources, call.cwd, ("GNUmakefile", "makefile",
                                                               "Makefile"))
        text = sources.text(rel) if rel else None
        if rel is None or text is None:
            return []
        recipes = dict(entries.makefile(text))
        names = call.names or tuple(list(recipes)[:1])
        origin = dict.fromkeys(recipes, rel)
        for include in entries.makefile_includes(text)[:20]:
            path = join(posixpath.dirname(rel), include)
            for name, recipe in entries.makefile(sources.text(path) or "").items():
                if name not in recipes:
                    recipes[name], origin[name] = recipe, path
        return [(f"make {r.name}", origin[r.name], r) for r in _closure(recipes, names)]
    if call.kind == "just":
        rel = call.file or _first_existing(sources, call.cwd, ("justfile", "Justfile",
                                                               ".justfile"))
        recipes = entries.justfile(sources.text(rel) or "") if rel else {}
        names = tuple(n for n in call.names if n in recipes) or tuple(list(recipes)[:1])
        return [(f"just {r.name}", rel or "", r) for r in _closure(recipes, names)]
    if call.kind == "tox":
        return _tox(call, sources)
    if call.kind == "nox":
        rel = call.file or _first_existing(sources, call.cwd, ("noxfile.py",))
        sessions, defaults = entries.noxfile(sources.text(rel) or "") if rel else ({}, [])
        names = call.names or tuple(defaults) or tuple(sessions)
        return [(f"nox -s {n}", rel or "", sessions[n]) for n in names if n in sessions]
    if call.kind == "npm":
        return _npm(call, sources)
    if call.kind == "pre-commit":
        rel = _first_existing(sources, call.cwd, (".pre-commit-config.yaml",
                                                  ".pre-commit-config.yml")) \
            or _first_existing(sources, "", (".pre-commit-config.yaml",))
        hooks = entries.precommit_hooks(sources.text(rel) or "") if rel else ()
        return [("pre-commit run", rel or "", Recipe("hooks", 1, hooks))] if hooks else []
    if call.kind == "script":
        for rel in dict.fromkeys((join(call.cwd, call.names[0]), join("", call.names[0]))):
            text = sources.text(rel) if _is_script(rel, sources) else None
            if text is not None:
                return [(call.names[0], rel, Recipe(rel, 1, _script_lines(rel, text)))]
        return []
    if call.kind == "text":
        return [("-c", "", Recipe("-c", 0, entries.shell_lines(call.names[0])))]
    return []


def _is_script(rel: str, sources: Sources) -> bool:
    """A script the step can run: a known suffix, or no dot-name and a shebang (never
    ``.env`` and other data a shell may source)."""
    if not sources.exists(rel):
        return False
    name = rel.rpartition("/")[2]
    if name.endswith(SCRIPT_SUFFIXES):
        return True
    return not name.startswith(".") and (sources.text(rel) or "").startswith("#!")


def _script_lines(rel: str, text: str) -> entries.Lines:
    if rel.endswith((".py", ".js", ".mjs", ".cjs", ".ts", ".pl", ".rb")):
        comment = "#" if rel.endswith((".py", ".pl", ".rb")) else "//"
        return tuple((n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1)
                     if raw.strip() and not raw.strip().startswith(comment))
    return entries.shell_lines(text)


def _tox(call: Invocation, sources: Sources) -> list[tuple[str, str, Recipe]]:
    candidates = [call.file] if call.file else [join(call.cwd, n) for n in
                                                ("tox.ini", "tox.toml", "setup.cfg",
                                                 "pyproject.toml")]
    for rel in candidates:
        text = sources.text(rel) if rel else None
        if text is None:
            continue
        if rel.endswith(".ini"):
            envs, listed = entries.tox_ini(text)
        elif rel.endswith("setup.cfg"):
            envs, listed = entries.tox_ini(text, prefix="tox:")
        else:
            data = entries.toml(text) or {}
            envs, listed = entries.tox_toml(data if rel.endswith("pyproject.toml")
                                            else {"tool": {"tox": data}})
        if not envs:
            continue
        names = call.names or tuple(listed) or tuple(n for n in envs if n != "*")
        found = [(n, entries.tox_env(envs, n)) for n in names]
        return [(f"tox -e {n}", rel, recipe) for n, recipe in found if recipe is not None]
    return []


def _npm(call: Invocation, sources: Sources) -> list[tuple[str, str, Recipe]]:
    manifests = [join(call.cwd, "package.json")]
    if call.select:
        manifests = _selected_packages(call, sources) or manifests
    out = []
    for rel in manifests:
        scripts = entries.package_scripts(sources.text(rel) or "")
        out += [(f"npm run {r.name}", rel, r) for r in _closure(scripts, call.names)]
    return out


def _selected_packages(call: Invocation, sources: Sources) -> list[str]:
    """package.json files a ``--filter`` / ``--workspace`` selects, by name or path."""
    found = []
    for rel in sources.under(call.cwd, "package.json")[:200]:
        directory = rel.rpartition("/")[0]
        name = entries.package_json(sources.text(rel) or "").get("name")
        for pattern in call.select:
            pattern = pattern.strip("{}").rstrip(".").removeprefix("./")
            if pattern == "*" or pattern in (name, directory) or \
                    directory == join(call.cwd, pattern) or \
                    (isinstance(name, str) and re.fullmatch(
                        re.escape(pattern).replace(r"\*", ".*"), name)):
                found.append(rel)
                break
    return found[:50]


def resolve(lines: entries.Lines, file: str, cwd: str, sources: Sources,
            depth: int = 0, via: tuple[str, ...] = (), entry: str = "",
            budget: list[int] | None = None) -> list[Command]:
    """Every command line run by ``lines`` (written in ``file``, run in ``cwd``), and what
    they call, down to :data:`MAX_DEPTH`. ``cd`` changes the directory of what follows."""
    budget = budget if budget is not None else [MAX_COMMANDS]
    out: list[Command] = []
    for line, text in lines:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        out.append(Command(text, file, line, depth, via, entry))
        for simple in words(text.lstrip("-")):
            if simple[0] == "cd" and len(simple) > 1:
                cwd = join(cwd, simple[1])
                continue
            if depth >= MAX_DEPTH:
                continue
            call = invocation(simple, cwd)
            if call is None:
                continue
            for label, where, recipe in definitions(call, sources):
                here = call.cwd if call.kind in ("make", "just", "tox", "nox") \
                    else where.rpartition("/")[0] if call.kind == "npm" else cwd
                out += resolve(recipe.lines, where or file, here, sources, depth + 1,
                               via + (text,), label, budget)
    return out
