"""The environment-variable contract between the code and its deployment.

What the code reads comes from its AST: ``os.environ["X"]``, ``os.environ.get``,
``os.getenv`` (with or without a default) and pydantic ``BaseSettings``
fields. What the deployment provides comes from compose ``environment`` and
``env_file`` of services built from this tree, ``.env.example``-style
templates, Dockerfile ``ENV`` and systemd ``Environment=``. No pytest here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory, context_of
from pytest_readiness.vocabulary import Level

GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb"})
TEMPLATE_NAMES = re.compile(r"(^|/)(\.env\.(example|sample|template|dist)|env\.example|"
                            r"example\.env|\.env\.defaults)$")
ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=")
UNIT_ENV = re.compile(r"^\s*Environment\s*=\s*(?P<rest>.+)$")
# Set by the platform or by tooling, never read by application code on purpose.
PLATFORM_VARS = frozenset({"PATH", "HOME", "HOSTNAME", "TZ", "LANG", "LC_ALL", "PYTHONPATH",
                           "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED",
                           "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "DEBIAN_FRONTEND",
                           "VIRTUAL_ENV", "PYTHONFAULTHANDLER", "UV_COMPILE_BYTECODE",
                           "NODE_ENV", "GOMAXPROCS", "TERM", "USER"})


@dataclass(frozen=True)
class EnvRead:
    name: str
    file: str
    line: int
    has_default: bool
    how: str  # os.environ[], os.getenv, BaseSettings


@dataclass(frozen=True)
class EnvSet:
    name: str
    file: str
    line: int
    source: str  # compose, env_file, template, dockerfile, unit


def _str_arg(call: pyast.CallSite, index: int, name: str | None = None) -> str | None:
    return pyast.const_str(call.arg(index, name))


def _has_default(call: pyast.CallSite) -> bool:
    default = call.arg(1, "default")
    return default is not None and not (isinstance(default, ast.Constant)
                                        and default.value is None)


def code_reads(inventory: Inventory) -> list[EnvRead]:
    """Every environment variable the Python code of a codebase reads, with its site."""
    reads: list[EnvRead] = []
    for module in pyast.modules(inventory):
        if context_of(module.rel) != "code":
            continue  # tests and docs read CI or developer variables, not the deployment's
        for call in module.calls:
            if call.name in GETTERS:
                name = _str_arg(call, 0, "key")
                if name:
                    reads.append(EnvRead(name, module.rel, call.line, _has_default(call),
                                         call.name))
        assert module.tree is not None
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Subscript) and module.resolve(node.value) == "os.environ":
                name = pyast.const_str(node.slice)
                if name and isinstance(node.ctx, ast.Load):
                    reads.append(EnvRead(name, module.rel, node.lineno, False, "os.environ[]"))
            elif isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn))
                                                       for o in node.ops):
                name = pyast.const_str(node.left)
                if name and any(module.resolve(c) == "os.environ" for c in node.comparators):
                    reads.append(EnvRead(name, module.rel, node.lineno, True, "in os.environ"))
            elif isinstance(node, ast.ClassDef) and _is_settings(module, node):
                reads += _settings_fields(module, node)
    return sorted(reads, key=lambda r: (r.file, r.line, r.name))


def _is_settings(module: pyast.Module, node: ast.ClassDef) -> bool:
    return any((module.resolve(b) or "").endswith("BaseSettings") for b in node.bases)


def _env_prefix(node: ast.ClassDef) -> str:
    for item in ast.walk(node):
        if isinstance(item, ast.keyword) and item.arg == "env_prefix":
            return pyast.const_str(item.value) or ""
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "env_prefix"
                                                for t in item.targets):
            return pyast.const_str(item.value) or ""
    return ""


def _settings_fields(module: pyast.Module, node: ast.ClassDef) -> list[EnvRead]:
    prefix = _env_prefix(node)
    out = []
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        name = item.target.id
        if name.startswith("_") or name == "model_config":
            continue
        value = item.value
        has_default = value is not None
        alias = None
        if isinstance(value, ast.Call) and (module.resolve(value.func) or "").endswith("Field"):
            first = value.args[0] if value.args else None
            required = isinstance(first, ast.Constant) and first.value is Ellipsis
            has_default = not required and (first is not None or any(
                k.arg in ("default", "default_factory") for k in value.keywords))
            alias = next((pyast.const_str(k.value) for k in value.keywords
                          if k.arg in ("alias", "validation_alias", "env")), None)
        env_name = alias or (prefix + name).upper()
        out.append(EnvRead(env_name, module.rel, item.lineno, has_default, "BaseSettings"))
    return out


# --- what the deployment provides ---------------------------------------------------


def env_file_keys(text: str, rel: str, source: str) -> list[EnvSet]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = ENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            out.append(EnvSet(match["key"], rel, number, source))
    return out


def template_sets(inventory: Inventory) -> list[EnvSet]:
    out = []
    for file in inventory.files:
        if TEMPLATE_NAMES.search(file.rel):
            text = inventory.text(file)
            if text is not None:
                out += env_file_keys(text, file.rel, "template")
    return out


def unit_sets(inventory: Inventory) -> list[EnvSet]:
    out = []
    for file in inventory.units:
        text = inventory.text(file) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            match = UNIT_ENV.match(line)
            if match:
                for word in re.findall(r'"([^"]*)"|(\S+)', match["rest"]):
                    key = (word[0] or word[1]).split("=", 1)[0]
                    if key:
                        out.append(EnvSet(key, file.rel, number, "unit"))
    return out


def compose_sets(projects: list[object]) -> list[EnvSet]:
    """Variables given to services built from this tree (``environment`` and ``env_file``)."""
    from pytest_readiness.probes.deployment import (
        compose,  # compose imports dockerfile; keep it lazy
    )
    from pytest_readiness.probes.deployment.compose_spec.merge import where

    out: list[EnvSet] = []
    for project in projects:
        assert isinstance(project, compose.ComposeProject)
        for service in project.services:
            if service.build is None:
                continue  # third-party images read their own variables
            env = service.spec.get("environment")
            for key, _, line in service.environment():
                file = where(env, key)[0] if isinstance(env, dict) else \
                    service.where("environment")[0]
                out.append(EnvSet(key, file or service.file, line, "compose"))
            for rel, _ in service.env_files():
                text = project.read(rel) if rel else None
                if text is not None and rel:
                    out += env_file_keys(text, rel, "env_file")
            df = project.dockerfile_of(service)
            if df is not None:
                for stage in df.stages:
                    for instruction in stage.all("ENV"):
                        for key in re.findall(r"(?:^|\s)([A-Za-z_]\w*)[= ]", instruction.value):
                            out.append(EnvSet(key, df.rel, instruction.line, "dockerfile"))
    return out


def missing(reads: list[EnvRead], provided: list[EnvSet]) -> list[EnvRead]:
    """Reads without a default of variables no deployment artefact provides."""
    names = {s.name for s in provided}
    return [r for r in reads if not r.has_default and r.name not in names]


def interpolated_names(texts: list[str]) -> set[str]:
    """``${VAR}`` names a compose file takes from its environment (a .env template feeds them)."""
    return {m for text in texts for m in re.findall(r"\$\{([A-Za-z_]\w*)", text)}


def unused(reads: list[EnvRead], provided: list[EnvSet],
           consumed: set[str] = frozenset()) -> list[EnvSet]:  # type: ignore[assignment]
    """Variables the deployment sets that no code reads (platform variables aside).

    ``consumed``: names used by the deployment itself (compose ``${VAR}``), which a
    .env template rightly sets for docker compose rather than for the code.
    """
    names = {r.name for r in reads} | set(consumed)
    seen: set[tuple[str, str]] = set()
    out = []
    for s in provided:
        if s.name in names or s.name in PLATFORM_VARS or s.source == "dockerfile":
            continue
        if (s.name, s.file) not in seen:
            seen.add((s.name, s.file))
            out.append(s)
    return out


def missing_findings(absent: list[EnvRead]) -> list[Finding]:
    """Variables read without a default that no deployment artefact provides."""
    return [Finding("", f"{r.name} is read ({r.how}, no default) but no deployment artefact "
                    "provides it", r.file, r.line) for r in absent]


def unused_findings(extra: list[EnvSet]) -> list[Finding]:
    """Variables a deployment sets that no code reads (a warning: it may be read elsewhere)."""
    return [Finding("", f"{s.name} is set ({s.source}) but no code reads it", s.file, s.line,
                    level=Level.WARNING) for s in extra]
