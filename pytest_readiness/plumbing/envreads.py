"""Environment reads in Python code, the way a reviewer reads them. Pure, no pytest.

One model for every rule that asks "which variable does this read, and what if it is
unset": the env-var contract (probes/deployment/contracts/envvars.py) and the settings
rules (a ``VERIFY_SSL`` read with a false default). A read is any of:

- a direct read: ``os.environ["X"]``, ``os.environ.get("X", d)``, ``os.getenv("X", d)``,
  ``os.environ.setdefault``, ``"X" in os.environ`` (``from os import environ`` resolves);
- an ``or`` default: ``os.environ.get("X") or "d"`` has the default ``"d"``;
- a call of a **wrapper helper**: a function of the tree whose body reads the variable
  named by one of its parameters (``def envbool(key, default=False): return
  os.environ.get(key, str(default)) ...``, netbox's ``_environ_get_and_map(name, default,
  map_fn)``); its calls with a literal name are reads, their default is the argument given
  for the helper's default parameter (or that parameter's own default);
- a library helper: python-decouple ``config("X", default=...)``, django-environ and
  environs ``env("X")``/``env.bool("X", default=...)``;
- a field of a pydantic-settings ``BaseSettings`` class (``env_prefix``, ``alias``,
  ``validation_alias``, ``env`` honoured; a field with a value has a default).

Limits: a name built at run time (``os.getenv(prefix + "X")``) is not a read of a known
variable; a helper is recognised when called by its own name in its module, or through an
import whose last part is the helper module's file name; helpers of helpers (a wrapper of
``envbool``) are followed one level per pass, up to three passes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pytest_readiness.plumbing import pyast

if TYPE_CHECKING:
    from pytest_readiness.plumbing.tree import Inventory

GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb",
                     "os.environb.get"})
# Library getters: the name is argument 0, the default the ``default`` keyword.
LIBRARY_GETTERS = frozenset({"decouple.config", "decouple.AutoConfig()", "decouple.Config()",
                             "environ.Env()", "environs.Env()"})
_ENV_CASTS = frozenset({"str", "bool", "int", "float", "list", "tuple", "dict", "json", "url",
                        "db", "db_url", "cache", "cache_url", "email", "email_url", "path",
                        "search_url", "decimal", "datetime", "date", "timedelta", "log_level",
                        "uuid", "enum"})
DEFAULT_PARAMS = frozenset({"default", "fallback", "default_value", "otherwise"})
_CASTS = frozenset({"str", "bool", "int", "float", "strtobool", "distutils.util.strtobool"})


class _Unknown:
    """A default the model cannot evaluate (an expression, a call)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class EnvRead:
    name: str
    file: str
    line: int
    has_default: bool
    how: str  # os.getenv, os.environ[], in os.environ, BaseSettings, helper envbool, ...
    default: ast.expr | None = field(default=None, compare=False, repr=False)

    @property
    def default_value(self) -> object:
        """What the code gets when the variable is unset: the default's constant value,
        None without a default, :data:`UNKNOWN` for an expression the model cannot read."""
        if not self.has_default:
            return None
        return constant(self.default)


@dataclass(frozen=True)
class Helper:
    """A function of the tree that reads the variable its ``key``-th argument names."""

    name: str
    module: str  # the file's stem (``config`` for app/config.py)
    params: tuple[str, ...]  # positional parameters as callers pass them (self/cls dropped)
    key: int
    default: int | None  # the parameter whose value is the default, if any
    param_defaults: tuple[ast.expr | None, ...] = field(compare=False, repr=False, default=())
    fixed: ast.expr | None = field(compare=False, repr=False, default=None)  # a literal default

    def default_of(self, call: ast.Call) -> tuple[bool, ast.expr | None]:
        """(has a default, the default expression) for one call of the helper."""
        if self.default is not None:
            given = _argument(call, self.default, self.params[self.default])
            if given is not None:
                return not _is_none(given), given
            own = self.param_defaults[self.default] if self.param_defaults else None
            return own is not None and not _is_none(own), own
        if self.fixed is not None:
            return True, self.fixed
        return False, None


def constant(node: ast.expr | None) -> object:
    """A default's value: literals, ``str(False)``/``bool("1")`` of a literal, a negative
    number; :data:`UNKNOWN` for anything else."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
            isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
        return -node.operand.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("str", "bool", "int") and len(node.args) == 1 and not node.keywords:
        inner = constant(node.args[0])
        if isinstance(inner, (str, bool, int)):
            return {"str": str, "bool": bool, "int": int}[node.func.id](inner)
    return UNKNOWN


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _argument(call: ast.Call, index: int, name: str | None) -> ast.expr | None:
    if name is not None:
        found = next((k.value for k in call.keywords if k.arg == name), None)
        if found is not None:
            return found
    args = call.args
    if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
        return args[index]
    return None


def _getter_default(site: pyast.CallSite) -> tuple[bool, ast.expr | None]:
    if site.name in GETTERS:
        default = site.arg(1, "default")
        return default is not None and not _is_none(default), default
    default = site.keyword("default")
    return default is not None and not _is_none(default), default


def _is_library_getter(name: str) -> bool:
    if name in LIBRARY_GETTERS:
        return True
    base, _, method = name.rpartition(".")
    return base in ("environ.Env()", "environs.Env()") and method in _ENV_CASTS


# --- helpers ---------------------------------------------------------------------------------


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], list[ast.expr | None]]:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(fn.args.defaults))
    defaults += list(fn.args.defaults)
    names = [a.arg for a in positional]
    if names and names[0] in ("self", "cls"):
        names, defaults = names[1:], defaults[1:]
    names += [a.arg for a in fn.args.kwonlyargs]
    defaults += list(fn.args.kw_defaults)
    return names, defaults


def _names_in(node: ast.expr | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def helpers_of(module: pyast.Module, known: dict[str, Helper] | None = None) -> list[Helper]:
    """The functions of one module that read the variable a parameter names."""
    out: list[Helper] = []
    stem = PurePosixPath(module.rel).stem
    by_function: dict[int, list[pyast.CallSite]] = {}
    for site in module.calls:
        if site.function is not None:
            by_function.setdefault(id(site.function), []).append(site)
    for fn in module.functions:
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names, defaults = _params(fn)
        for site in by_function.get(id(fn), ()):
            inner = _helper_call(module, site, known or {}) if known else None
            if site.name in GETTERS or _is_library_getter(site.name):
                key_node = site.arg(0, "key")
                has, default = _getter_default(site)
            elif inner is not None:
                key_node = _argument(site.node, inner.key, inner.params[inner.key])
                has, default = inner.default_of(site.node)
            else:
                continue
            if not (isinstance(key_node, ast.Name) and key_node.id in names):
                continue
            default_param = next((names.index(n) for n in _names_in(default) if n in names),
                                 None)
            if default_param is None:  # returned when the variable is unset or empty
                default_param = next((i for i, n in enumerate(names) if n in DEFAULT_PARAMS),
                                     None)
            out.append(Helper(fn.name, stem, tuple(names), names.index(key_node.id),
                              default_param, tuple(defaults),
                              default if has and default_param is None else None))
            break
    return out


def index_helpers(inventory: Inventory) -> dict[str, Helper]:
    """:func:`helpers` of a codebase's Python, worked out once per index (the checks that
    read settings through wrappers all ask for the same codebase's)."""
    return inventory.derive("envreads.helpers", lambda: helpers(pyast.modules(inventory)))


def helpers(modules: Iterable[pyast.Module]) -> dict[str, Helper]:
    """Every wrapper helper of a codebase, by function name (helpers of helpers too)."""
    modules = list(modules)
    found: dict[str, Helper] = {}
    for _ in range(3):
        before = len(found)
        for m in modules:
            for helper in helpers_of(m, found):
                found.setdefault(helper.name, helper)
        if len(found) == before:
            break
    return found


def _helper_call(module: pyast.Module, site: pyast.CallSite, known: dict[str, Helper]
                 ) -> Helper | None:
    prefix, _, name = site.name.rpartition(".")
    helper = known.get(name)
    if helper is None or "()" in prefix:
        return None
    if not prefix:
        return helper if PurePosixPath(module.rel).stem == helper.module or \
            module.aliases.get(name) is None else None
    return helper if prefix.rsplit(".", 1)[-1] == helper.module else None


# --- reads -----------------------------------------------------------------------------------


def _or_defaults(module: pyast.Module) -> dict[int, ast.expr]:
    """id(read expression) -> the ``or`` default after it."""
    out: dict[int, ast.expr] = {}
    for node in module.of(ast.BoolOp):
        if isinstance(node.op, ast.Or):
            for left, right in zip(node.values, node.values[1:], strict=False):
                out[id(left)] = right
    return out


def read_of_call(module: pyast.Module, site: pyast.CallSite,
                 known: dict[str, Helper] | None = None,
                 ors: dict[int, ast.expr] | None = None) -> EnvRead | None:
    """The read one call makes, if it is a getter, a library getter or a known helper."""
    if site.name in GETTERS or _is_library_getter(site.name):
        name = pyast.const_str(site.arg(0, "key"))
        has, default = _getter_default(site)
        how = site.name
    elif known and (helper := _helper_call(module, site, known)) is not None:
        name = pyast.const_str(_argument(site.node, helper.key, helper.params[helper.key]))
        has, default = helper.default_of(site.node)
        how = f"helper {helper.name}"
    else:
        return None
    if not name:
        return None
    if not has and ors and id(site.node) in ors:
        has, default = True, ors[id(site.node)]
    return EnvRead(name, module.rel, site.line, has, how, default if has else None)


def reads(module: pyast.Module, known: dict[str, Helper] | None = None) -> list[EnvRead]:
    """Every read of a named variable in one parsed module, in source order."""
    if module.tree is None:
        return []
    ors = _or_defaults(module)
    out: list[EnvRead] = []
    for site in module.calls:
        found = read_of_call(module, site, known, ors)
        if found is not None:
            out.append(found)
    for node in module.of(ast.Subscript):
        if isinstance(node.ctx, ast.Load) and module.resolve(node.value) in ("os.environ",
                                                                             "os.environb"):
            name = pyast.const_str(node.slice)
            if name:
                default = ors.get(id(node))
                out.append(EnvRead(name, module.rel, node.lineno, default is not None,
                                   "os.environ[]", default))
    for compare in module.of(ast.Compare):
        name = pyast.const_str(compare.left)
        if name and any(isinstance(o, (ast.In, ast.NotIn)) for o in compare.ops) and \
                any(module.resolve(c) == "os.environ" for c in compare.comparators):
            out.append(EnvRead(name, module.rel, compare.lineno, True, "in os.environ"))
    for cls in module.of(ast.ClassDef):
        if is_settings(module, cls):
            out += settings_fields(module, cls)
    return sorted(out, key=lambda r: (r.line, r.name))


def read_of(module: pyast.Module, node: ast.expr | None,
            known: dict[str, Helper] | None = None) -> EnvRead | None:
    """The read an expression is, seen through casts and string methods: the value of
    ``VERIFY = os.environ.get("VERIFY", "true").lower() in ("1", "true")`` or of
    ``X = _environ_get_and_map("X", "False", _AS_BOOL)``. Never through ``not``: a
    negated read means the opposite of its default."""
    default_or: ast.expr | None = None
    while node is not None:
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
            default_or, node = node.values[1], node.values[0]
            continue
        if isinstance(node, ast.Subscript) and module.resolve(node.value) == "os.environ":
            name = pyast.const_str(node.slice)
            if not name:
                return None
            return EnvRead(name, module.rel, node.lineno, default_or is not None,
                           "os.environ[]", default_or)
        if isinstance(node, ast.Call):
            site = next((s for s in module.calls if s.node is node), None)
            if site is not None:
                found = read_of_call(module, site, known,
                                     {id(node): default_or} if default_or is not None else None)
                if found is not None:
                    return found
                if site.name in _CASTS and len(node.args) == 1:
                    node = node.args[0]
                    continue
            if isinstance(node.func, ast.Attribute):  # .lower(), .strip(), .casefold()
                node = node.func.value
                continue
            return None
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and \
                isinstance(node.ops[0], (ast.Eq, ast.In)):
            node = node.left
            continue
        return None
    return None


# --- settings classes ------------------------------------------------------------------------


def is_settings(module: pyast.Module, node: ast.ClassDef) -> bool:
    return any((module.resolve(b) or "").endswith("BaseSettings") for b in node.bases)


def _env_prefix(node: ast.ClassDef) -> str:
    for item in ast.walk(node):
        if isinstance(item, ast.keyword) and item.arg == "env_prefix":
            return pyast.const_str(item.value) or ""
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "env_prefix"
                                                for t in item.targets):
            return pyast.const_str(item.value) or ""
        if isinstance(item, ast.Dict):
            for key, value in zip(item.keys, item.values, strict=True):
                if pyast.const_str(key) == "env_prefix":
                    return pyast.const_str(value) or ""
    return ""


def field_default(module: pyast.Module, value: ast.expr | None) -> tuple[bool, ast.expr | None,
                                                                          str | None]:
    """(has a default, the default, the alias) of a settings field's value."""
    if value is None:
        return False, None, None
    if isinstance(value, ast.Call) and pyast.tail(module.resolve(value.func)) == "Field":
        first = value.args[0] if value.args else None
        default = next((k.value for k in value.keywords if k.arg == "default"), first)
        factory = any(k.arg == "default_factory" for k in value.keywords)
        required = isinstance(default, ast.Constant) and default.value is Ellipsis
        alias = next((pyast.const_str(k.value) for k in value.keywords
                      if k.arg in ("alias", "validation_alias", "env")), None)
        return (not required and (default is not None or factory)), \
            (None if required else default), alias
    return True, value, None


def settings_fields(module: pyast.Module, node: ast.ClassDef) -> list[EnvRead]:
    """The variables a pydantic-settings class reads (case-insensitive, as pydantic does by
    default: named in upper case)."""
    prefix = _env_prefix(node)
    out = []
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        name = item.target.id
        if name.startswith("_") or name == "model_config":
            continue
        has, default, alias = field_default(module, item.value)
        env_name = alias or (prefix + name).upper()
        out.append(EnvRead(env_name, module.rel, item.lineno, has, "BaseSettings",
                           default if has else None))
    return out


# --- other languages -------------------------------------------------------------------------
# Reads in the tree's other languages, by pattern on each line (comments included: a read in
# a comment makes a variable look used, never missing). ``default``: the group that, when
# matched, says the read has a fallback (``|| "d"``, ``${X:-d}``, ``os.LookupEnv``).

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_JS = (re.compile(rf"\bprocess\.env\.(?P<name>{_NAME})(?P<default>\s*(?:\|\||\?\?))?"),
       re.compile(rf"\bprocess\.env\[\s*['\"`](?P<name>{_NAME})['\"`]\s*\]"
                  r"(?P<default>\s*(?:\|\||\?\?))?"),
       re.compile(rf"\bimport\.meta\.env\.(?P<name>{_NAME})(?P<default>\s*(?:\|\||\?\?))?"),
       re.compile(rf"\bDeno\.env\.get\(\s*['\"](?P<name>{_NAME})['\"]\s*\)"
                  r"(?P<default>\s*(?:\|\||\?\?))?"),
       re.compile(rf"\bBun\.env\.(?P<name>{_NAME})(?P<default>\s*(?:\|\||\?\?))?"),
       re.compile(rf"\b__ENV\.(?P<name>{_NAME})(?P<default>\s*(?:\|\||\?\?))?"))  # k6
_JS_DESTRUCTURED = re.compile(r"\{(?P<names>[^{}]{1,400})\}\s*=\s*"
                              r"(?:process\.env|import\.meta\.env)\b")
_GO = (re.compile(rf"\bos\.Getenv\(\s*\"(?P<name>{_NAME})\"\s*\)"),
       re.compile(rf"\bos\.(?P<default>LookupEnv)\(\s*\"(?P<name>{_NAME})\"\s*\)"))
_JAVA = (re.compile(rf"\bSystem\.getenv\(\s*\"(?P<name>{_NAME})\"\s*\)"),
         re.compile(rf"\bSystem\.getenv\(\)\.(?P<default>getOrDefault)\(\s*\"(?P<name>{_NAME})\""))
_DOTNET = (re.compile(rf"\bEnvironment\.GetEnvironmentVariable\(\s*\"(?P<name>{_NAME})\""),)
_RUST = (re.compile(rf"\b(?:std::)?env::var(?:_os)?\(\s*\"(?P<name>{_NAME})\"\s*\)"
                    r"(?P<default>\s*\.\s*unwrap_or)?"),
         re.compile(rf"\b(?:option_)?env!\(\s*\"(?P<name>{_NAME})\"\s*\)"))
_RUBY = (re.compile(rf"\bENV\[\s*['\"](?P<name>{_NAME})['\"]\s*\](?P<default>\s*\|\|)?"),
         re.compile(rf"\bENV\.fetch\(\s*['\"](?P<name>{_NAME})['\"](?P<default>\s*,|\s*\)\s*\{{)?"))
_C = (re.compile(rf"\b(?:std::)?(?:secure_)?getenv\(\s*\"(?P<name>{_NAME})\"\s*\)"),)
_ELIXIR = (re.compile(rf"\bSystem\.(?:get_env|fetch_env!?)\(\s*\"(?P<name>{_NAME})\""
                      r"(?P<default>\s*,|\)\s*\|\|)?"),)
_PHP = (re.compile(rf"\bgetenv\(\s*['\"](?P<name>{_NAME})['\"]\s*\)"),
        re.compile(rf"\$_(?:ENV|SERVER)\[\s*['\"](?P<name>{_NAME})['\"]\s*\]"),
        re.compile(rf"\benv\(\s*['\"](?P<name>{_NAME})['\"](?P<default>\s*,)?"))
# Shell and templates: ${X}, ${X:-d}, $X ($1, $@, $$ are not variables).
_SHELL = (re.compile(rf"\$\{{(?P<name>{_NAME})(?P<default>:?[-=+])?"),
          re.compile(rf"(?<![\\$])\$(?P<name>{_NAME})"))
# Spring and MicroProfile placeholders, resolved from the environment: ${X} / ${X:default}.
_PLACEHOLDER = (re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<default>:)?"),)
# The OpenTelemetry Collector's configuration: ${env:X} / ${env:X:-default}.
_COLLECTOR = (re.compile(rf"\$\{{env:(?P<name>{_NAME})(?P<default>:-)?"),)

LANGUAGES: dict[str, tuple[str, tuple[re.Pattern[str], ...]]] = {
    **{s: ("JavaScript/TypeScript", _JS) for s in (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts",
                                                   ".cts", ".tsx", ".vue", ".svelte", ".astro")},
    ".go": ("Go", _GO), ".java": ("Java", _JAVA), ".kt": ("Kotlin", _JAVA),
    ".scala": ("Scala", _JAVA), ".cs": ("C#", _DOTNET), ".rs": ("Rust", _RUST),
    ".rb": ("Ruby", _RUBY), ".php": ("PHP", _PHP), ".ex": ("Elixir", _ELIXIR),
    ".exs": ("Elixir", _ELIXIR),
    **{s: ("C/C++", _C) for s in (".c", ".cc", ".cpp", ".cxx", ".h", ".hpp")},
    **{s: ("shell", _SHELL) for s in (".sh", ".bash", ".zsh", ".ksh", ".envrc")},
    **{s: ("template", _SHELL) for s in (".template", ".tmpl", ".tpl")},
}


def language_of(rel: str) -> tuple[str, tuple[re.Pattern[str], ...]] | None:
    """The language and read patterns of a file other than Python, by name; None for a file
    that reads no environment by itself (or a minified bundle, which repeats the source)."""
    name = rel.rsplit("/", 1)[-1].lower()
    if name.endswith((".min.js", ".d.ts", ".map")):
        return None
    if "entrypoint" in name or name in ("docker-entrypoint", "start", "run", "entrypoint"):
        return "shell", _SHELL
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return "Dockerfile", _SHELL  # CMD/ENTRYPOINT/RUN expand $X in the container's shell
    if ".tmpl." in name or ".template." in name:  # envsubst and gomplate templates
        return "template", _SHELL
    if re.match(r"application(?:-\w+)?\.(?:properties|ya?ml)$", name) or \
            name == "microprofile-config.properties":
        return "Spring/MicroProfile config", _PLACEHOLDER
    dot = name.rfind(".")
    found = LANGUAGES.get(name[dot:]) if dot > 0 else None
    if found is None and name.endswith((".yml", ".yaml")):
        return "${env:X} in config", _COLLECTOR  # the OpenTelemetry Collector's syntax
    return found


_QUOTED = re.compile(r"[\"'`]([A-Z][A-Z0-9]*_[A-Z0-9_]*|[A-Z]{3,})[\"'`]")


def quoted_names(text: str) -> set[str]:
    """Upper-case names written as string literals (``mustMapEnv(&a, "EMAIL_ADDR")``,
    ``settings["API_URL"]``): a variable named in code is used by some helper of it, in
    any language, even when the read itself is not recognised."""
    return set(_QUOTED.findall(text))


def text_reads(rel: str, text: str) -> list[EnvRead]:
    """The variables a file of another language reads, by line (``how`` names the
    language). Reads with a fallback (``process.env.X || "d"``, ``${X:-d}``,
    ``os.LookupEnv``) have a default; its value is not modelled."""
    found = language_of(rel)
    if found is None:
        return []
    language, patterns = found
    out: list[EnvRead] = []
    seen: set[tuple[str, int]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 2000:
            continue  # a generated or minified line
        for pattern in patterns:
            for match in pattern.finditer(line):
                key = (match["name"], number)
                if key not in seen:
                    seen.add(key)
                    out.append(EnvRead(match["name"], rel, number,
                                       bool(match.groupdict().get("default")), language))
        if language == "JavaScript/TypeScript":
            for match in _JS_DESTRUCTURED.finditer(line):
                for part in match["names"].split(","):
                    name = part.split(":")[0].split("=")[0].strip()
                    if re.fullmatch(_NAME, name) and (name, number) not in seen:
                        seen.add((name, number))
                        out.append(EnvRead(name, rel, number, "=" in part, language))
    return out
