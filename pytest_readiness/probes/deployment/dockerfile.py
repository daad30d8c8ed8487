"""Dockerfiles parsed with dockerfile-parse, split into stages, and audited.

Multi-stage builds, ``ARG`` before ``FROM``, line continuations and JSON or
shell forms are handled; every rule returns :class:`~yamlpos.Finding` findings
with the line of the instruction. A file with an unknown instruction or no
``FROM`` raises :class:`~yamlpos.ParseError` naming file and line. No pytest.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.redact import redact
from pytest_readiness.plumbing.yamlpos import ParseError, read_file
from pytest_readiness.probes.deployment import images
from pytest_readiness.vocabulary import Level

INSTRUCTIONS = frozenset({
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    "COMMENT",
})
ROOT_USERS = frozenset({"root", "0"})
BUILD_TOOLS = re.compile(r"(?<![\w.-])(build-essential|build-base|gcc|g\+\+|clang|make|cmake|"
                         r"rustc|cargo|golang|musl-dev|python3?-dev|lib[\w.+]+-dev|"
                         r"[\w.+]+-devel)(?![\w.+-])")
INSTALLS = re.compile(r"\b(apt-get|apt|apk|yum|dnf|microdnf)\b[^;&|]*\b(install|add)\b")
DEV_TOOLS = re.compile(r"(requirements[-_]dev|dev[-_]requirements|requirements/dev|"
                       r"(?<![\w-])(pytest|debugpy|ipdb|pdbpp|black|ruff|mypy|flake8|"
                       r"nodemon|gdb|strace|vim)(?![\w-])|--reload\b|\bpoetry install\b(?!.*"
                       r"(--only[= ]main|--without[= ]dev|--no-dev))|\bnpm (install|ci)\b(?!.*"
                       r"(--omit[= ]dev|--production|--only[= ]prod)))")
PROD_STAGE = re.compile(r"(?i)^(prod|production|release|runtime|final)$")


@dataclass(frozen=True)
class Instruction:
    name: str
    value: str
    line: int  # 1-based, first line of the instruction
    flags: tuple[str, ...] = ()


@dataclass
class Stage:
    index: int
    base: str  # FROM image with ARGs substituted
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.instructions if i.name == name]

    def last(self, name: str) -> Instruction | None:
        found = self.all(name)
        return found[-1] if found else None

    @property
    def command(self) -> str:
        """ENTRYPOINT and CMD as one shell-like string."""
        parts = [command_text(i.value) for i in (self.last("ENTRYPOINT"), self.last("CMD")) if i]
        return " ".join(parts)

    @property
    def exposed(self) -> list[int]:
        ports = []
        for instruction in self.all("EXPOSE"):
            ports += [int(m) for m in re.findall(r"\b(\d{1,5})(?:/tcp)?\b", instruction.value)]
        return ports


@dataclass
class Dockerfile:
    rel: str
    stages: list[Stage]
    global_args: dict[str, str]
    preamble: list[Instruction] = field(default_factory=list)  # ARGs before the first FROM

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, target: str | None) -> Stage:
        """The stage a build targets (the last one without a target)."""
        if target:
            for stage in self.stages:
                if stage.name == target:
                    return stage
        return self.final

    def stage_names(self) -> set[str]:
        return {s.name for s in self.stages if s.name}


def command_text(value: str) -> str:
    value = value.strip()
    if value.startswith("["):
        try:
            parts = json.loads(value)
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        except ValueError:
            pass
    return value


def substitute(text: str, variables: dict[str, str]) -> str:
    """``${VAR}``, ``$VAR`` and ``${VAR:-default}`` from ARG/ENV values; unknown stay."""

    def replace(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        if name in variables and variables[name] != "":
            return variables[name]
        return match["default"] if match["default"] is not None else match.group(0)

    return re.sub(r"\$(?:\{(?P<braced>\w+)(?::?-(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))",
                  replace, text)


def _split_flags(value: str) -> tuple[tuple[str, ...], str]:
    flags = []
    rest = value.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        flags.append(flag)
        rest = rest.strip()
    return tuple(flags), rest


def _assignments(value: str) -> list[tuple[str, str | None]]:
    """``A=1 B="two words"`` or legacy ``A value`` of ENV / ARG."""
    try:
        words = shlex.split(value, posix=True)
    except ValueError:
        words = value.split()
    if not words:
        return []
    if "=" not in words[0]:
        return [(words[0], " ".join(words[1:]) or None)]
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        key, sep, val = word.partition("=")
        pairs.append((key, val if sep else None))
    return pairs


def parse(text: str, rel: str) -> Dockerfile:
    """Parse a Dockerfile into stages; ParseError on junk or a missing FROM."""
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
    try:
        structure = parser.structure
    except Exception as exc:  # dockerfile-parse raises plain exceptions on odd input
        raise ParseError(rel, f"cannot parse Dockerfile ({type(exc).__name__})") from None
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    preamble: list[Instruction] = []
    for item in structure:
        name, line = item["instruction"].upper(), item["startline"] + 1
        if name not in INSTRUCTIONS:
            # The word is not quoted: a file that is not a Dockerfile may hold a secret.
            raise ParseError(rel, "unknown instruction", line)
        if name == "COMMENT":
            continue
        flags, value = _split_flags(item["value"])
        if name == "FROM":
            match = re.match(r"(?i)^(\S+)(?:\s+as\s+(\S+))?\s*$", value)
            base, alias = (match[1], match[2]) if match else (value, None)
            stages.append(Stage(len(stages), substitute(base, global_args), alias, line,
                                args=dict(global_args)))
            continue
        if not stages:
            if name != "ARG":
                raise ParseError(rel, f"{name} before the first FROM", line)
            preamble.append(Instruction(name, value, line, flags))
            for key, val in _assignments(value):
                global_args[key] = val or ""
            continue
        stage = stages[-1]
        stage.instructions.append(Instruction(name, value, line, flags))
        if name in ("ARG", "ENV"):
            for key, val in _assignments(value):
                if val is not None or key not in stage.args:
                    stage.args[key] = substitute(val or "", stage.args)
    if not stages:
        raise ParseError(rel, "no FROM instruction: not a Dockerfile")
    return Dockerfile(rel, stages, global_args, preamble)


def load(path: Path, rel: str, reader: Reader | None = None) -> Dockerfile:
    """The Dockerfile at ``path``, read through ``reader`` (plumbing/reader.py) and parsed
    once per run; ParseError naming ``rel`` when it is not read or does not parse."""
    reader = reader or Reader(path.parent)
    try:
        content = reader.read(path)
    except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big
        raise ParseError(rel, str(exc)) from None
    return content.memo(("dockerfile", rel), lambda: parse(read_file(path, rel, reader), rel))


# --- rules -------------------------------------------------------------------------


def user_of(df: Dockerfile, target: str | None = None) -> tuple[str | None, int | None]:
    """The user the target stage runs as (None: root by default) and the USER line."""
    stage = df.stage(target)
    user = stage.last("USER")
    if user is None:
        return None, None
    return substitute(user.value.strip(), stage.args), user.line


def is_root(user: str | None) -> bool:
    return user is None or user.split(":")[0] in ROOT_USERS


def runtime_user(df: Dockerfile, target: str | None = None) -> tuple[images.ImageUser, str]:
    """How the target stage runs, and why: its last USER, else that of the stage it is
    built FROM, else its base image's user (images.py: known non-root images, official
    images whose entrypoint drops root, known root images; anything else unknown)."""
    stage = df.stage(target)
    names = {s.name: s for s in df.stages if s.name}
    replaced_entrypoint = False
    for _ in range(len(df.stages) + 1):
        user, line = user_of_stage(stage)
        if user is not None:
            kind = images.ROOT if is_root(user) else images.NON_ROOT
            return images.ImageUser(kind, user, f"USER {user}"), f"USER {user} ({df.rel}:{line})"
        replaced_entrypoint |= stage.last("ENTRYPOINT") is not None
        parent = names.get(stage.base)
        if parent is None or parent.index >= stage.index:
            break
        stage = parent
    base = images.user_of(stage.base)
    if base.kind == images.DROPS_ROOT and replaced_entrypoint:
        base = images.ImageUser(images.UNKNOWN, None, f"{base.why}, but ENTRYPOINT replaces it")
    return base, f"no USER; base image {stage.base.split('@')[0]}: {base.why}"


def user_of_stage(stage: Stage) -> tuple[str | None, int | None]:
    user = stage.last("USER")
    if user is None:
        return None, None
    return substitute(user.value.strip(), stage.args), user.line


def non_root_user(df: Dockerfile) -> list[Finding]:
    user, why = runtime_user(df)
    stage_user, line = user_of_stage(df.final)
    at = line if stage_user is not None else df.final.line
    if user.kind == images.ROOT:
        said = f"final stage runs as {stage_user}" if stage_user is not None else \
            f"final stage runs as root ({why})"
        return [Finding("", said, df.rel, at)]
    if user.kind == images.UNKNOWN:
        return [Finding("", f"final stage runs as an unknown user ({why}); set USER",
                        df.rel, at, level=Level.WARNING)]
    if user.kind == images.DROPS_ROOT:
        return [Finding("", f"final stage starts as root and {why.split(': ', 1)[-1]}",
                        df.rel, at, level=Level.NOTE)]
    return []


def multi_stage(df: Dockerfile) -> list[Finding]:
    out = []
    for instruction in df.final.all("RUN"):
        if not INSTALLS.search(instruction.value):
            continue
        tools = sorted({m[1] for m in BUILD_TOOLS.finditer(instruction.value)})
        if not tools:
            continue
        where = ("single-stage image" if len(df.stages) == 1 else "final stage")
        out.append(Finding("",
                           f"{where} installs build tools ({', '.join(tools)}); build in a "
                           "builder stage and copy only the artefacts", df.rel, instruction.line))
    return out


def healthcheck_protocol(command: str) -> tuple[str | None, int | None]:
    """What a HEALTHCHECK speaks: (http|https|grpc|tcp|exec, port)."""
    url = re.search(r"\b(https?)://[^/\s:'\"]+(?::(\d+))?", command)
    if url:
        default = 443 if url[1] == "https" else 80
        return url[1], int(url[2]) if url[2] else default
    if "grpc_health_probe" in command or "grpc-health-probe" in command:
        port = re.search(r"-addr[= ]\S*:(\d+)", command)
        return "grpc", int(port[1]) if port else None
    return "exec", None


def app_protocol(stage: Stage) -> tuple[str | None, int | None]:
    """What the image serves, from its command: (http|https|grpc|None, port)."""
    command = substitute(stage.command, stage.args)
    port_match = (re.search(r"--port[= ](\d+)", command)
                  or re.search(r"(?:--bind|-b)[= ]\S*:(\d+)", command))
    port = int(port_match[1]) if port_match else (stage.exposed[0] if len(stage.exposed) == 1
                                                  else None)
    if re.search(r"--(ssl-)?(certfile|keyfile)\b", command):
        return "https", port
    if re.search(r"\b(uvicorn|gunicorn|hypercorn|daphne|flask|waitress|http\.server|node|nginx)\b",
                 command):
        return "http", port
    if re.search(r"grpc", command, re.IGNORECASE):
        return "grpc", port
    return None, port


def healthcheck(df: Dockerfile) -> list[Finding]:
    """A missing HEALTHCHECK is a warning (orchestrators run their own probes: a compose
    healthcheck or a Kubernetes probe covers the image); one that probes the wrong
    protocol or port is an error (it reports a broken service as healthy)."""
    stage = df.final
    check = stage.last("HEALTHCHECK")
    if check is None or check.value.strip().upper().startswith("NONE"):
        line = check.line if check else stage.line
        return [Finding("", "final stage has no HEALTHCHECK", df.rel, line,
                        level=Level.WARNING)]
    probe, probe_port = healthcheck_protocol(substitute(check.value, stage.args))
    served, served_port = app_protocol(stage)
    out = []
    if probe in ("http", "https", "grpc") and served and probe != served:
        out.append(Finding("",
                           f"HEALTHCHECK probes {probe} but the app serves {served}",
                           df.rel, check.line))
    if probe_port and served_port and probe_port != served_port and probe in ("http", "https"):
        out.append(Finding("",
                           f"HEALTHCHECK probes port {probe_port} but the app listens on "
                           f"{served_port}", df.rel, check.line))
    return out


def image_pin_problem(image: str) -> tuple[str, str] | None:
    """(level, problem) when an image reference is not pinned to a tag or digest."""
    if "@sha256:" in image or image == "scratch":
        return None
    if "${" in image or "$" in image:
        return Level.WARNING, f"image {image} depends on an unset variable: tag unknown"
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return Level.ERROR, f"image {image} has no tag (means latest)"
    if name.rsplit(":", 1)[1] == "latest":
        return Level.ERROR, f"image {image} uses the latest tag"
    return None


def digest_pinned(image: str) -> bool:
    """Pinned by content (``@sha256:...``), not only by a tag that can be moved."""
    return "@sha256:" in image or image == "scratch"


BASE_PIN_RULES = ("", "digest")


def base_pinned(df: Dockerfile) -> list[Finding]:
    names = set()
    out = []
    for stage in df.stages:
        if stage.base not in names:
            problem = image_pin_problem(stage.base)
            if problem:
                out.append(Finding("", problem[1], df.rel, stage.line,
                                   level=problem[0]))
            elif not digest_pinned(stage.base):
                out.append(Finding("digest", f"image {stage.base} is pinned by tag, not by "
                                   "digest", df.rel, stage.line))
        if stage.name:
            names.add(stage.name)
    return out


HEALTHCHECK_LEVELS = (
    RuleLevel("", Level.WARNING, "the final stage has no HEALTHCHECK (an orchestrator's probe "
                                 "may cover it)"),
    RuleLevel("", Level.ERROR, "the HEALTHCHECK probes another protocol or port than the app "
                               "serves"))
BASE_PIN_LEVELS = (
    RuleLevel("", Level.ERROR, "a base image without a tag, or :latest"),
    RuleLevel("", Level.WARNING, "the base image comes from a build argument with no default"),
    RuleLevel("digest", Level.ERROR, "pinned by tag, not by digest (hardening: baseline note)"))
NO_SECRETS_LEVELS = (
    RuleLevel("", Level.ERROR, "ENV or ARG with a secret-named key holds a value"),
    RuleLevel("", Level.WARNING, "a build ARG is named like a secret (kept in the history)"))


def no_secrets(df: Dockerfile) -> list[Finding]:
    out = []
    for instructions in [df.preamble] + [s.instructions for s in df.stages]:
        for instruction in instructions:
            if instruction.name not in ("ENV", "ARG"):
                continue
            for key, value in _assignments(instruction.value):
                if not is_secret_name(key, anywhere=True):
                    continue
                if value:
                    out.append(Finding("",
                                       f"{instruction.name} {key} holds a value "
                                       f"({redact(value)}): it stays in the image history",
                                       df.rel, instruction.line))
                elif instruction.name == "ARG":
                    out.append(Finding("",
                                       f"build ARG {key} looks like a secret: build args are "
                                       "kept in the image history; use RUN --mount=type=secret",
                                       df.rel, instruction.line, level=Level.WARNING))
    return out


def no_remote_add(df: Dockerfile) -> list[Finding]:
    out = []
    for stage in df.stages:
        for instruction in stage.all("ADD"):
            if any(f.startswith("--checksum") for f in instruction.flags):
                continue
            if re.search(r"(?:^|\s)(https?://|git@|git://)", instruction.value):
                out.append(Finding("",
                                   "ADD of a remote URL without --checksum: unverified download",
                                   df.rel, instruction.line))
    return out


def dev_tool_lines(stage: Stage) -> list[tuple[int, str]]:
    found = []
    for instruction in stage.instructions:
        text = instruction.value if instruction.name == "RUN" else (
            command_text(instruction.value) if instruction.name in ("CMD", "ENTRYPOINT") else "")
        match = DEV_TOOLS.search(text)
        if match:
            found.append((instruction.line, match.group(0).strip()))
    return found


def production_target(df: Dockerfile, sibling_names: set[str]) -> list[Finding]:
    """A dev image (dev tools in the final stage) needs a production stage or file."""
    dev = dev_tool_lines(df.final)
    if not dev:
        return []
    has_prod_stage = any(PROD_STAGE.match(name) for name in df.stage_names())
    has_prod_file = any(re.search(r"(?i)(prod|production|release)", n) for n in sibling_names)
    if has_prod_stage or has_prod_file:
        return []
    line, what = dev[0]
    return [Finding("",
                    f"the image carries dev tools ({what}) and there is no production stage "
                    "(prod/production/release/runtime) or production Dockerfile", df.rel, line)]


def summary(df: Dockerfile) -> dict[str, object]:
    user, _ = user_of(df)
    return {"stages": [s.name or s.base for s in df.stages], "final_base": df.final.base,
            "user": user, "healthcheck": df.final.last("HEALTHCHECK") is not None}
