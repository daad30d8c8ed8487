"""The environment-variable contract between the code and its deployment.

What the code reads comes from the env-read model (plumbing/envreads.py): Python reads,
wrapper helpers (``envbool``, ``_environ_get_and_map``), ``or`` defaults, decouple and
django-environ getters, pydantic ``BaseSettings`` fields; and, to tell which variables
are used, reads in the tree's other languages (``process.env.X``, ``import.meta.env.X``,
Go ``os.Getenv``, Java ``System.getenv``, shell ``${X}`` in entrypoints and scripts) and
variables the images of the project consume (contracts/imagevars.py). Only Python reads
without a default make a variable *required*: a read in another language counts as a use,
never as a requirement (a frontend variable is often given at build time). What the
deployment provides comes from compose ``environment`` and ``env_file`` of services built
from this tree, ``.env.example``-style templates, Dockerfile ``ENV`` and systemd
``Environment=``. No pytest here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_readiness.plumbing import envreads, pyast
from pytest_readiness.plumbing.envreads import EnvRead
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory, context_of
from pytest_readiness.probes.deployment.contracts import imagevars
from pytest_readiness.vocabulary import Level

__all__ = ["EnvRead", "EnvSet", "code_reads", "other_reads"]

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
class EnvSet:
    name: str
    file: str
    line: int
    source: str  # compose, env_file, template, dockerfile, unit


def code_reads(inventory: Inventory) -> list[EnvRead]:
    """Every environment variable the Python code of a codebase reads, with its site
    (wrapper helpers are looked for in every module, reads only in live code)."""
    modules = list(pyast.modules(inventory))
    known = envreads.index_helpers(inventory)
    reads: list[EnvRead] = []
    for module in modules:
        if context_of(module.rel) != "code":
            continue  # tests and docs read CI or developer variables, not the deployment's
        reads += envreads.reads(module, known)
    return sorted(reads, key=lambda r: (r.file, r.line, r.name))


def other_reads(inventory: Inventory) -> list[EnvRead]:
    """Reads in the tree's other languages (live code and config templates), by pattern; see
    :func:`envreads.text_reads`."""
    out: list[EnvRead] = []
    for file in inventory.files:
        if file.rel.endswith(".py") or envreads.language_of(file.rel) is None or \
                context_of(file.rel) not in ("code", "template"):
            continue  # templates (envoy.tmpl.yaml, nginx.conf.template) are envsubst input
        text = inventory.text(file)
        if text is not None:
            out += envreads.text_reads(file.rel, text)
    return out


SOURCE_SUFFIXES = (".py", ".go", ".java", ".kt", ".scala", ".cs", ".rs", ".rb", ".php", ".js",
                   ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".ex", ".exs", ".c", ".cc", ".cpp",
                   ".h", ".hpp", ".sh")


def named_in_code(inventory: Inventory) -> set[str]:
    """Upper-case names written as string literals in live source files of any language
    (:func:`envreads.quoted_names`): used by a helper the model does not recognise."""
    out: set[str] = set()
    for file in inventory.files:
        if file.rel.endswith(SOURCE_SUFFIXES) and not file.rel.endswith(".min.js") and \
                context_of(file.rel) == "code":
            text = inventory.text(file)
            if text is not None:
                out |= envreads.quoted_names(text)
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

    out: list[EnvSet] = []
    for project in projects:
        assert isinstance(project, compose.ComposeProject)
        for service in project.services:
            if service.build is None:
                continue  # third-party images read their own variables
            settings = service.env_settings()  # env_file lines, then environment entries
            for setting in sorted(settings, key=lambda s: s.origin != "environment"):
                out.append(EnvSet(setting.key, setting.file or service.file, setting.line,
                                  "compose" if setting.origin == "environment" else "env_file"))
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
    """``${VAR}`` and ``$VAR`` names a compose file takes from its environment (a .env
    template feeds them), and ``$$VAR`` it leaves to the container's shell."""
    return {m for text in texts for m in re.findall(r"\$\{?([A-Za-z_]\w*)", text)}


def project_images(projects: list[object]) -> list[str]:
    """The images the projects run: each service's ``image:`` and, for services built
    here, the base images of their Dockerfile's stages."""
    from pytest_readiness.probes.deployment import compose

    out: list[str] = []
    for project in projects:
        assert isinstance(project, compose.ComposeProject)
        for service in project.services:
            if service.image:
                out.append(service.image)
            if service.build is not None:
                df = project.dockerfile_of(service)
                out += [stage.base for stage in df.stages] if df is not None else []
    return out


def unused(reads: list[EnvRead], provided: list[EnvSet],
           consumed: set[str] = frozenset(),  # type: ignore[assignment]
           patterns: tuple[str, ...] = ()) -> list[EnvSet]:
    """Variables the deployment sets that no code reads (platform variables aside).

    ``consumed``: names used by the deployment itself (compose ``${VAR}``), which a
    .env template rightly sets for docker compose rather than for the code, and names read
    by the tree's other languages. ``patterns``: variables the project's images consume
    (``POSTGRES_*``, ``GF_*``: contracts/imagevars.py); runtime variables always count.
    """
    names = {r.name for r in reads} | set(consumed)
    seen: set[tuple[str, str]] = set()
    out = []
    for s in provided:
        if s.name in names or s.name in PLATFORM_VARS or s.source == "dockerfile" or \
                imagevars.is_consumed(s.name, patterns):
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
