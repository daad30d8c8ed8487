"""What a tree's own files say about its other files: the uses the scope model weighs.

A compose service builds a Dockerfile, reads an ``env_file`` or mounts a file; a shell
script, a Makefile target or a CI job runs ``docker build -f X`` (maybe ``--output``,
exporting files rather than an image that runs) or runs an image with the working tree
mounted to generate code. Each use is a :class:`Use`: the file used, the file (and
service, target or job) that uses it, and the :class:`Context` it happens in, whose
words (``test.sh``, ``run-telemetry-tests``, ``docker-gen-proto.sh``) say what it is
for. Pure functions of text; no pytest, no file is executed.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from pytest_readiness.plumbing.envfile import substitute

TEST_WORDS = frozenset({"test", "tests", "testing", "e2e", "integration", "playwright",
                        "cypress", "spec", "specs"})
DEV_WORDS = frozenset({"dev", "develop", "development", "local", "debug", "devcontainer"})
# Names of what production runs (compose.prod.yml, docker-compose.deploy.yml).
DEPLOY_WORDS = frozenset({"prod", "production", "deploy", "deployment", "release", "live",
                          "stack"})
GENERATION_WORDS = frozenset({"gen", "generate", "generated", "codegen", "protoc", "proto",
                              "protobuf", "protos", "stubs"})
_WORD = re.compile(r"[a-z0-9]+")
# docker build / docker buildx build / podman build / $(DOCKER_CMD) build ...
BUILD = re.compile(r"(?:\bdocker|\bpodman|\$[({]?DOCKER\w*[)}]?)\s+(?:buildx\s+)?build\b"
                   r"(?P<args>[^\n;&|]*)")
RUN = re.compile(r"(?:\bdocker|\bpodman|\$[({]?DOCKER\w*[)}]?)\s+(?:container\s+)?run\b"
                 r"(?P<args>[^\n;&|]*)")
# A bind mount of the working tree: -v $(pwd):/x, -v "${PWD}":/x, -v .:/x, --mount src=$(pwd)
TREE_MOUNT = re.compile(r"""(?:-v|--volume)[ =]["']?(?:\$\(pwd\)|\$\{?PWD\}?|\.|`pwd`)["']?:/|"""
                        r"""--mount[ =]\S*(?:source|src)=["']?(?:\$\(pwd\)|\$\{?PWD\}?)""")
_VALUE_OPTIONS = frozenset({
    "-f", "--file", "-t", "--tag", "--build-arg", "--platform", "--target", "--label",
    "--secret", "--ssh", "--cache-from", "--cache-to", "-o", "--output", "--network",
    "--progress", "--iidfile", "--add-host", "--build-context", "--shm-size", "--ulimit",
    "-m", "--memory", "--builder", "--attest", "--sbom", "--provenance", "--metadata-file",
    "--allow", "--annotation", "--cgroup-parent", "--isolation", "--memory-swap",
    "--cpu-shares", "--cpuset-cpus",
})


def words(name: str) -> set[str]:
    """``docker-gen-proto.sh`` -> {docker, gen, proto, sh}: the words of a name."""
    return set(_WORD.findall(name.lower()))


@dataclass(frozen=True)
class Context:
    """Where a use happens: a file (and a service, Makefile target or CI job in it)."""

    file: str
    part: str = ""  # "service backend", "target build-react-native-android", "job e2e"

    @property
    def where(self) -> str:
        return f"{self.file} ({self.part})" if self.part else self.file

    @property
    def purpose(self) -> str | None:
        """test, development or generation when the names say so; None when they do not."""
        named = words(posixpath.basename(self.file)) | words(self.part.partition(" ")[2])
        if named & TEST_WORDS:
            return "test"
        if named & GENERATION_WORDS:
            return "generation"
        if named & DEV_WORDS:
            return "development"
        return None


@dataclass(frozen=True)
class Use:
    """One file used by another. ``kind``: by a compose file, build (a service builds the
    Dockerfile), env-file, mount or config; by a command, command (``docker build``),
    output (built with ``--output``: the image exports files and never runs) or generate
    (built, then run with the working tree mounted, in a code-generation context)."""

    target: str  # the file used, relative to the root
    kind: str
    by: Context
    how: str  # in words, for the reason a role is given


# --- compose files ------------------------------------------------------------------------


def compose_uses(rel: str, data: Any, env: dict[str, str]) -> list[Use]:
    """Dockerfiles built, env_files read, single files bind-mounted, config and secret files
    of a parsed compose file (paths interpolated with ``env``, relative to the root).

    Directory mounts are left out on purpose: mounting ``.:/app`` says nothing about the
    role of every file beneath it.
    """
    if not isinstance(data, dict):
        return []
    base = posixpath.dirname(rel)
    uses: list[Use] = []
    services = data.get("services")
    for name, spec in (services.items() if isinstance(services, dict) else ()):
        if not isinstance(spec, dict):
            continue
        where = Context(rel, f"service {name}")
        built = _build_path(spec.get("build"), env)
        if built is not None:
            uses.append(Use(_join(base, built), "build", where, f"service {name} builds it"))
        for path in _env_files(spec.get("env_file")):
            resolved = substitute(path, env)
            if resolved:
                uses.append(Use(_join(base, resolved), "env-file", where,
                                f"service {name} reads it as env_file"))
        for source in _mounted_files(spec.get("volumes"), env):
            uses.append(Use(_join(base, source), "mount", where, f"service {name} mounts it"))
    for section in ("configs", "secrets"):
        entries = data.get(section)
        for key, spec in (entries.items() if isinstance(entries, dict) else ()):
            read_from = substitute(str(spec.get("file")), env) if isinstance(spec, dict) \
                and spec.get("file") else None
            if read_from:
                uses.append(Use(_join(base, read_from), "config", Context(rel, f"{section} {key}"),
                                f"{section} {key} is read from it"))
    return [u for u in uses if u.target and not u.target.startswith("../")]


def _build_path(build: Any, env: dict[str, str]) -> str | None:
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    elif isinstance(build, dict) and "dockerfile_inline" not in build:
        context = str(build.get("context", "."))
        dockerfile = str(build.get("dockerfile", "Dockerfile"))
    else:
        return None
    context_at, dockerfile_at = substitute(context, env), substitute(dockerfile, env)
    if not context_at or not dockerfile_at or "://" in context_at \
            or context_at.startswith("git@"):
        return None
    return dockerfile_at if posixpath.isabs(dockerfile_at) \
        else posixpath.join(context_at, dockerfile_at)


def _env_files(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict) and isinstance(item.get("path"), str):
            yield item["path"]


def _mounted_files(volumes: Any, env: dict[str, str]) -> Iterator[str]:
    """Relative bind-mount sources that name a file (a dot in the last part)."""
    for item in volumes if isinstance(volumes, list) else ():
        if isinstance(item, str):
            source = item.split(":", 1)[0] if ":" in item else ""
        elif isinstance(item, dict) and item.get("type", "bind") == "bind":
            source = str(item.get("source") or "")
        else:
            continue
        source = substitute(source, env) or ""
        if source.startswith(".") and "." in posixpath.basename(source.rstrip("/")).lstrip("."):
            yield source


def _join(base: str, path: str) -> str:
    path = path.strip()
    if path.startswith("/"):
        return ""
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return "" if joined == "." else joined


# --- commands: scripts, Makefile recipes, CI steps ------------------------------------------


def command_uses(text: str, where: Context, dockerfiles: Iterable[str]) -> list[Use]:
    """Dockerfiles that ``docker build`` commands in ``text`` build, matched against the
    tree's Dockerfiles (``src/$1/genproto/Dockerfile`` matches every such file)."""
    text = re.sub(r"\\\r?\n", " ", text)
    known = list(dockerfiles)
    mounts_tree = any(TREE_MOUNT.search(m["args"]) for m in RUN.finditer(text))
    generating = mounts_tree and where.purpose == "generation"
    uses = []
    for match in BUILD.finditer(text):
        args = _split(match["args"])
        dockerfile, context, output = _build_args(args)
        named = dockerfile or (posixpath.join(context, "Dockerfile") if context else None)
        if not named:
            continue
        shown = " ".join(match.group(0).split())[:120]
        for target in _matching(named, known, posixpath.dirname(where.file)):
            if output:
                uses.append(Use(target, "output", where,
                                f"built with {output}: it exports files, it never runs"))
            elif generating:
                uses.append(Use(target, "generate", where,
                                "built and run with the working tree mounted to generate code"))
            else:
                uses.append(Use(target, "command", where, f"built by `{shown}`"))
    return uses


def _split(args: str) -> list[str]:
    try:
        return shlex.split(args, comments=True)
    except ValueError:
        return args.split()


def _build_args(args: list[str]) -> tuple[str | None, str | None, str | None]:
    """(-f value, the context argument, the --output option as written) of a build."""
    dockerfile = context = output = None
    index = 0
    while index < len(args):
        arg = args[index]
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _VALUE_OPTIONS and not eq and index + 1 < len(args):
            value = args[index + 1]
            index += 1
        elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            name, value = "-f", arg[2:]
        if name in ("-f", "--file"):
            dockerfile = value
        elif name in ("-o", "--output"):
            output = f"{name}={value}" if value else name
        elif not arg.startswith("-") and name not in _VALUE_OPTIONS:
            context = arg
        index += 1
    return dockerfile, context, output


def _matching(named: str, known: list[str], script_dir: str) -> list[str]:
    """Tree Dockerfiles a path names; shell variables in it match any one directory."""
    pattern = re.sub(r"\$\{?\w+\}?|\$\([^)]*\)", "*", named.strip("'\""))
    pattern = posixpath.normpath(pattern.removeprefix("./"))
    candidates = [pattern, posixpath.normpath(posixpath.join(script_dir, pattern))] \
        if script_dir else [pattern]
    for candidate in candidates:
        if "*" in candidate:
            found = [k for k in known if fnmatch.fnmatchcase(k, candidate)
                     and k.count("/") == candidate.count("/")]
        else:
            found = [k for k in known if k == candidate]
        if found:
            return found
    return []


def makefile_uses(rel: str, text: str, dockerfiles: Iterable[str]) -> list[Use]:
    """Uses in each target's recipe, in the context of that target."""
    uses: list[Use] = []
    target, recipe = "", list[str]()
    known = list(dockerfiles)
    for line in [*re.sub(r"\\\r?\n", " ", text).splitlines(), "END:"]:
        head = re.match(r"^([A-Za-z0-9_.%/-][^:=\s]*)\s*:(?!=)", line)
        if head and not line.startswith("\t"):
            if target and recipe:
                uses += command_uses("\n".join(recipe), Context(rel, f"target {target}"), known)
            target, recipe = head.group(1), []
        elif line.startswith("\t"):
            recipe.append(line)
    return uses


def workflow_uses(rel: str, data: Any, dockerfiles: Iterable[str]) -> list[Use]:
    """Uses in each job's ``run:`` steps and docker build actions, in the job's context."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    uses: list[Use] = []
    known = list(dockerfiles)
    for job_id, job in (jobs.items() if isinstance(jobs, dict) else ()):
        if not isinstance(job, dict):
            continue
        where = Context(rel, f"job {job_id} {job.get('name') or ''}".strip())
        given = job.get("steps")
        steps: list[Any] = given if isinstance(given, list) else []
        runs = [str(s.get("run")) for s in steps if isinstance(s, dict) and s.get("run")]
        uses += command_uses("\n".join(runs), where, known)
        for step in steps:
            if isinstance(step, dict) and "docker/build-push-action" in str(step.get("uses")):
                uses += _action_uses(step.get("with"), where, known)
    return uses


def _action_uses(given: Any, where: Context, known: list[str]) -> list[Use]:
    given = given if isinstance(given, dict) else {}
    context = str(given.get("context") or ".")
    named = str(given.get("file") or posixpath.join(context, "Dockerfile"))
    outputs = str(given.get("outputs") or "")
    kind = "output" if re.search(r"type=(?:local|tar)", outputs) else "command"
    how = (f"built with outputs: {outputs} (it exports files, it never runs)"
           if kind == "output" else "built by docker/build-push-action")
    return [Use(t, kind, where, how) for t in _matching(named, known, "")]


def load_yaml(text: str) -> Any:
    """A YAML document, or None when it does not parse (a use the model cannot read)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
