"""What is production: every file of a codebase gets a role and the reason for it.

Checks judge production. A finding in a test harness, a dev overlay, a code-generation
image, generated or vendored code is shown as a note at most (``Recorder.conclude``
caps it), so the audit does not cry wolf about files that never run in production.

Evidence, in order (the first that applies wins):

1. ``scope.roles`` in readiness.yaml (gitignore-style globs; the last match wins).
2. production: a production compose file builds it, reads it as ``env_file`` or mounts it.
3. build-artefact: built with ``--output`` (the image exports files, it never runs);
   generated: an image a generation script runs with the working tree mounted.
4. Content: ``Code generated ... DO NOT EDIT``, ``@generated`` (generated); a JavaScript
   line of 1000+ characters (vendored); a final stage ``FROM scratch`` with no CMD,
   ENTRYPOINT or EXPOSE (build-artefact); a compose overlay running a dev server
   (``fastapi dev``, ``--reload``, ``npm run dev``) or Compose watch (development).
5. Names and directories: ``tests/``, ``test_*.py``, ``*.spec.ts``, ``*.test.yml``,
   ``docker-compose.test*.yml``, ``Dockerfile.cypress`` (test); ``*.dev.yml``,
   ``Dockerfile.dev``, ``.devcontainer/`` (development); ``examples/``, ``.env.example``,
   ``*.sample`` (example; not ``*.template``: envsubst renders those into production);
   ``docs/``, ``*.md``, README, LICENSE (documentation);
   ``_pb2.py``, ``*.pb.go``, ``genproto/`` (generated); ``vendor/``, ``third_party/``,
   ``*.min.js`` (vendored); ``dist/``, ``coverage/`` (build-artefact).
6. A file used only by non-production files takes their role (a Dockerfile built only by
   ``compose.tests.yaml``, a script's image in a test Makefile target).
7. production: no sign of another role.

Directory names are read from the outermost inward (``examples/app/tests/x`` is an
example). CI configuration (``.github/workflows/``, ``.gitlab-ci.yml``) is production:
it is what the CI checks judge. A file used only by non-production files (built only by
``compose.tests.yaml``) takes their role. ``scope.exclude`` and ``scope.include`` take
files out of the audit altogether. No pytest.
"""

from __future__ import annotations

import enum
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pathspec

from pytest_readiness.plumbing import git, references
from pytest_readiness.plumbing.envfile import read_env_file
from pytest_readiness.plumbing.references import (
    DEV_WORDS,
    TEST_WORDS,
    Use,
    compose_uses,
    load_yaml,
    makefile_uses,
    words,
    workflow_uses,
)
from pytest_readiness.plumbing.tree import (
    SourceFile,
    is_compose,
    is_dockerfile,
    is_workflow,
    read_text,
)


class Role(str, enum.Enum):
    """What a file is for. Only production files are judged; the rest give notes at most."""

    PRODUCTION = "production"
    TEST = "test"
    DEVELOPMENT = "development"
    EXAMPLE = "example"
    DOCUMENTATION = "documentation"
    GENERATED = "generated"
    VENDORED = "vendored"
    BUILD_ARTEFACT = "build-artefact"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


ROLES: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True)
class Judgement:
    """A file's role, why (the evidence, in words), where the evidence came from (config,
    use, content, name, default) and the glob it stands for (``frontend/tests/``)."""

    role: Role
    reason: str
    source: str = "name"
    pattern: str = ""

    @property
    def production(self) -> bool:
        return self.role == Role.PRODUCTION


class ScopeSpec(Protocol):
    """readiness.yaml's ``scope:`` (config.ScopeConfig): globs relative to a codebase."""

    @property
    def include(self) -> Sequence[str]: ...
    @property
    def exclude(self) -> Sequence[str]: ...
    @property
    def roles(self) -> Mapping[str, str]: ...


# --- names and directories ---------------------------------------------------------------

CI_PATHS = (".github/workflows/", ".github/actions/", ".gitlab/", ".circleci/", ".buildkite/")
CI_FILES = frozenset({".gitlab-ci.yml", "Jenkinsfile", ".travis.yml", "azure-pipelines.yml",
                      "bitbucket-pipelines.yml"})
DIR_ROLES: dict[str, Role] = {
    **dict.fromkeys(("vendor", "vendors", "third_party", "third-party", "thirdparty",
                     "bower_components", "jspm_packages", "node_modules"), Role.VENDORED),
    **dict.fromkeys(("genproto", "generated", "__generated__"), Role.GENERATED),
    **dict.fromkeys(("dist", ".next", ".nuxt", "coverage", "htmlcov"), Role.BUILD_ARTEFACT),
    **dict.fromkeys(("examples", "example", "samples", "sample"), Role.EXAMPLE),
    **dict.fromkeys(("docs", "doc", "documentation"), Role.DOCUMENTATION),
    **dict.fromkeys(("tests", "test", "testing", "__tests__", "__mocks__", "e2e", "spec",
                     "specs", "testdata", "test_data", "test-data", "fixtures", "cypress",
                     "playwright"), Role.TEST),
    ".devcontainer": Role.DEVELOPMENT,
}
_DIR_SAID = {Role.VENDORED: "vendored third-party code", Role.GENERATED: "generated code",
             Role.BUILD_ARTEFACT: "build output", Role.EXAMPLE: "examples",
             Role.DOCUMENTATION: "documentation", Role.TEST: "named for tests",
             Role.DEVELOPMENT: "a development environment"}
GENERATED_NAMES = re.compile(
    r"(?:_pb2(?:_grpc)?\.pyi?|\.pb(?:\.gw)?\.go|_grpc\.pb\.go|\.pb\.(?:cc|h)|_(?:grpc_)?pb\.js|"
    r"_pb\.d\.ts|\.g\.dart|\.freezed\.dart)$|^zz_generated.*\.go$|\.generated\.\w+$")
MINIFIED_NAMES = re.compile(r"[.-]min\.(?:m?js|css)$")
TEST_NAMES = re.compile(
    r"^test_.+\.py$|_test\.(?:py|go)$|^conftest\.py$|\.(?:test|spec)\.[cm]?[jt]sx?$|"
    r"Tests?\.(?:java|kt|cs)$|_spec\.rb$|^(?:playwright|cypress|jest|vitest)\.config\.\w+$|"
    r"\.tests?\.(?:ya?ml|json|toml|env)$")
DOC_SUFFIXES = (".md", ".rst", ".adoc", ".markdown")
DOC_NAMES = frozenset({"readme", "changelog", "changes", "history", "license", "licence",
                       "copying", "notice", "authors", "contributors", "contributing"})
# ``.template`` and ``.tmpl`` files are left out: envsubst renders them into production config.
EXAMPLE_MARKERS = (".example", ".sample", ".dist")
CONFIG_SUFFIXES = (".yml", ".yaml", ".json", ".toml", ".env", ".ini", ".cfg", ".conf")


def name_role(rel: str) -> Judgement | None:
    """The role names and directories give a file, or None when they say nothing."""
    if rel.startswith(CI_PATHS) or rel in CI_FILES:
        return Judgement(Role.PRODUCTION, "CI configuration: what the CI checks judge", "name",
                         rel)
    parts = rel.split("/")
    for index, part in enumerate(parts[:-1]):
        role = DIR_ROLES.get(part.lower())
        if role is None and words(part) & {"test", "tests"}:
            role = Role.TEST
        if role is not None:
            prefix = "/".join(parts[: index + 1]) + "/"
            return Judgement(role, f"{_DIR_SAID[role]} ({prefix})", "name", prefix)
    return _file_name_role(rel, parts[-1])


def _file_name_role(rel: str, name: str) -> Judgement | None:
    lowered = name.lower()
    said: tuple[Role, str] | None = None
    if any(marker in lowered for marker in EXAMPLE_MARKERS):
        said = Role.EXAMPLE, f"an example or template to copy ({name})"
    elif GENERATED_NAMES.search(name):
        said = Role.GENERATED, f"generated code ({name})"
    elif MINIFIED_NAMES.search(lowered):
        said = Role.VENDORED, f"a minified third-party file ({name})"
    elif TEST_NAMES.search(name):
        said = Role.TEST, f"named for tests ({name})"
    elif is_compose(rel) or is_dockerfile(rel) or lowered.endswith(CONFIG_SUFFIXES) \
            or lowered.startswith(".env"):
        named = words(name) - {"yml", "yaml", "json", "toml", "env", "ini", "cfg", "conf"}
        ci = {"ci"} if is_compose(rel) or is_dockerfile(rel) else set()
        if named & (TEST_WORDS | ci):
            said = Role.TEST, f"named for tests ({name})"
        elif named & DEV_WORDS:
            said = Role.DEVELOPMENT, f"named for development ({name})"
    if said is None and (lowered.endswith(DOC_SUFFIXES) or lowered.split(".")[0] in DOC_NAMES):
        said = Role.DOCUMENTATION, f"documentation ({name})"
    return Judgement(said[0], said[1], "name", rel) if said else None


# --- content --------------------------------------------------------------------------------

HEAD_BYTES = 2048
CODE_SUFFIXES = (".py", ".pyi", ".go", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java",
                 ".kt", ".cs", ".rs", ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".swift",
                 ".dart", ".scala", ".ex", ".exs", ".css")
GENERATED_MARK = re.compile(
    r"(?i)\bcode generated\b.*\bdo not edit\b|@generated\b|<auto-generated|"
    r"\bgenerated by the protocol buffer compiler\b|\bauto-?generated\b.*\bdo not (?:edit|modify)\b"
    r"|\bthis file (?:is|was|has been) (?:automatically |auto-)?generated\b")
MINIFIED_LINE = 1000
DEV_SERVER = re.compile(
    r"fastapi\s+dev\b|--reload\b|\brunserver\b|flask\s+run\b|\bnodemon\b|next\s+dev\b|"
    r"(?:npm|yarn|pnpm|bun)\s+(?:run\s+)?dev\b|\bvite\b(?!\s+build)|ng\s+serve\b|--debug\b")
BASE_COMPOSE = frozenset({"compose.yaml", "compose.yml", "docker-compose.yaml",
                          "docker-compose.yml"})


def head_role(rel: str, head: str) -> Judgement | None:
    """Generated-code markers near the top of a source file; minified JavaScript or CSS."""
    lowered = rel.lower()
    if not lowered.endswith(CODE_SUFFIXES):
        return None
    for number, line in enumerate(head.splitlines()[:30], start=1):
        match = GENERATED_MARK.search(line)
        if match:
            return Judgement(Role.GENERATED, f"generated code: \"{match.group(0)[:60]}\" at line "
                                             f"{number}", "content", rel)
    if lowered.endswith((".js", ".mjs", ".cjs", ".css")):
        longest = max((len(line) for line in head.splitlines()), default=0)
        if longest >= MINIFIED_LINE:
            return Judgement(Role.VENDORED, f"minified: a line of {longest}+ characters",
                             "content", rel)
    return None


def dockerfile_role(text: str) -> Judgement | None:
    """An image that only exports build artefacts: a final stage ``FROM scratch`` that
    never runs (no CMD, ENTRYPOINT or EXPOSE)."""
    logical = re.sub(r"\\\r?\n", " ", text)
    stages: list[list[str]] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction = line.split(None, 1)[0].upper()
        if instruction == "FROM":
            stages.append([line])
        elif stages:
            stages[-1].append(instruction)
    if not stages:
        return None
    final = stages[-1]
    base = [w for w in final[0].split()[1:] if not w.startswith("--")]
    if base and base[0].lower() == "scratch" and \
            not {"CMD", "ENTRYPOINT", "EXPOSE"} & set(final[1:]):
        return Judgement(Role.BUILD_ARTEFACT, "exports build artefacts: its final stage is "
                                              "FROM scratch with no CMD, ENTRYPOINT or EXPOSE",
                         "content")
    return None


def compose_role(rel: str, data: object) -> Judgement | None:
    """A compose overlay (not the base file) whose services run a dev server or Compose
    watch is a development setup."""
    if rel.rsplit("/", 1)[-1].lower() in BASE_COMPOSE or not isinstance(data, dict):
        return None
    services = data.get("services")
    for name, spec in (services.items() if isinstance(services, dict) else ()):
        if not isinstance(spec, dict):
            continue
        for key in ("command", "entrypoint"):
            value = spec.get(key)
            text = " ".join(map(str, value)) if isinstance(value, list) else str(value or "")
            match = DEV_SERVER.search(text)
            if match:
                said = " ".join(match.group(0).split())
                return Judgement(Role.DEVELOPMENT, f"a compose overlay whose service {name} runs "
                                                   f"a dev server ({said})", "content", rel)
        if "develop" in spec:
            return Judgement(Role.DEVELOPMENT, f"a compose overlay whose service {name} uses "
                                               "Compose watch (develop:)", "content", rel)
    return None


# --- git: what a file mode says ------------------------------------------------------------

ARCHIVE_MARKERS = (".gitignore", ".gitattributes", ".github", ".gitlab-ci.yml")


def git_tracked(root: Path, timeout: float = 30.0) -> set[str] | None:
    """Paths git tracks under ``root`` (relative to it), or None when it is not a git work
    tree (or git cannot tell)."""
    try:
        done = git.run(root, "ls-files", "-z", "--", ".", timeout=timeout)
    except OSError:  # no git here
        return None
    if done.returncode != 0:  # not a work tree, or timed out (None)
        return None
    return {p for p in done.stdout.decode("utf-8", "replace").split("\0") if p}


def _archive_root(root: Path) -> Path | None:
    """The directory (``root`` or one of three parents) that looks like an unpacked
    repository: VCS files without a ``.git`` (a ``git archive``, a release tarball)."""
    for directory in [root, *list(root.parents)[:3]]:
        if (directory / ".git").exists():
            return None
        if any((directory / marker).exists() for marker in ARCHIVE_MARKERS):
            return directory
    return None


# --- the model -------------------------------------------------------------------------------

COMPOSE_USES = frozenset({"build", "env-file", "mount", "config"})
_DEFAULT = Judgement(Role.PRODUCTION, "no sign of another role", "default")
_PURPOSE_ROLES = {"test": Role.TEST, "development": Role.DEVELOPMENT}


class Scope:
    """Roles of one codebase's files, from its inventory and readiness.yaml's ``scope:``.

    ``judge(rel)`` gives the role and the reason; ``role_of(rel)`` the role alone (what
    the codebase index calls); ``out_of_scope(rel)`` why readiness.yaml leaves a file out.
    Files are read lazily (compose files, workflows, Makefiles and scripts once, for their
    uses; the head of a source file when it is judged), never executed.
    """

    def __init__(self, root: Path, files: Sequence[SourceFile],
                 spec: ScopeSpec | None = None,
                 read: Callable[[SourceFile], str | None] = read_text) -> None:
        self.root = root
        self._read = read  # through the bounded reader (the inventory's, when given)
        self.files = list(files)
        self._by_rel = {f.rel: f for f in self.files}
        self._include = _spec(spec.include) if spec and spec.include else None
        self._exclude = [(p, _spec([p])) for p in (spec.exclude if spec else ())]
        self._roles = [(p, _spec([p]), Role(r)) for p, r in (spec.roles.items() if spec else ())]
        self._judged: dict[str, Judgement] = {}
        self._judging: set[str] = set()
        self._uses: dict[str, list[Use]] | None = None
        self._tracked: set[str] | None = None
        self._provenance: str | None = None

    # -- roles --------------------------------------------------------------------------
    def holds(self, rel: str) -> bool:
        """Whether the file is one of this codebase's."""
        return _normal(rel) in self._by_rel

    def role_of(self, rel: str) -> Role:
        return self.judge(rel).role

    def judge(self, rel: str) -> Judgement:
        rel = _normal(rel)
        if rel not in self._judged:
            if rel in self._judging:  # a file used by itself, through another
                return _DEFAULT
            self._judging.add(rel)
            try:
                self._judged[rel] = self._infer(rel)
            finally:
                self._judging.discard(rel)
        return self._judged[rel]

    def out_of_scope(self, rel: str) -> str | None:
        """Why readiness.yaml's ``scope:`` leaves a file out of the audit, or None."""
        rel = _normal(rel)
        if any(spec.match_file(rel) for _, spec, _ in self._roles):
            return None
        for pattern, spec in self._exclude:
            if spec.match_file(rel):
                return f"scope.exclude: {pattern}"
        if self._include is not None and not self._include.match_file(rel):
            return "not under scope.include"
        return None

    def _infer(self, rel: str) -> Judgement:
        for pattern, spec, role in reversed(self._roles):
            if spec.match_file(rel):
                return Judgement(role, f"readiness.yaml scope.roles: {pattern}", "config",
                                 pattern)
        uses = self.uses().get(rel, [])
        production = [u for u in uses if u.kind in COMPOSE_USES and
                      self.judge(u.by.file).production]
        if production:
            use = production[0]
            return Judgement(Role.PRODUCTION, f"{use.by.file}: {use.how}", "use", rel)
        special = next((u for u in uses if u.kind in ("output", "generate")), None)
        if special is not None:
            role = Role.BUILD_ARTEFACT if special.kind == "output" else Role.GENERATED
            return Judgement(role, f"{special.how} ({special.by.where})", "use", rel)
        found = self._by_content(rel) or name_role(rel)
        if found is not None:
            return found
        only = self._only_non_production(uses)
        return only or _DEFAULT

    def _only_non_production(self, uses: list[Use]) -> Judgement | None:
        """The role of the files that use this one, when every use is non-production."""
        if not uses:
            return None
        roles = []
        for use in uses:
            if use.kind in COMPOSE_USES:
                roles.append(self.judge(use.by.file).role)
            else:
                roles.append(_PURPOSE_ROLES.get(use.by.purpose or "", Role.PRODUCTION))
        if Role.PRODUCTION in roles:
            return None
        use = uses[0]
        return Judgement(roles[0], f"used only by {roles[0]} files: {use.how} in "
                                   f"{use.by.where}", "use", use.target)

    def _by_content(self, rel: str) -> Judgement | None:
        file = self._by_rel.get(rel)
        if file is None or file.is_symlink:
            return None
        if is_dockerfile(rel):
            found = dockerfile_role(self._text(file) or "")
            return Judgement(found.role, found.reason, found.source, rel) if found else None
        if is_compose(rel):
            return compose_role(rel, load_yaml(self._text(file) or ""))
        return head_role(rel, self._head(file)) if rel.lower().endswith(CODE_SUFFIXES) else None

    # -- uses -----------------------------------------------------------------------------
    def uses(self) -> dict[str, list[Use]]:
        """Every use the tree's compose files, workflows, Makefiles and scripts make, by the
        file used."""
        if self._uses is None:
            self._uses = {}
            dockerfiles = [f.rel for f in self.files if is_dockerfile(f.rel)]
            for use in self._find_uses(dockerfiles):
                self._uses.setdefault(use.target, []).append(use)
        return self._uses

    def _find_uses(self, dockerfiles: list[str]) -> Iterable[Use]:
        for file in self.files:
            rel, name = file.rel, file.name
            if is_compose(rel):
                env = read_env_file(file.path.parent / ".env")
                yield from compose_uses(rel, load_yaml(self._text(file) or ""), env)
            elif is_workflow(rel):
                yield from workflow_uses(rel, load_yaml(self._text(file) or ""), dockerfiles)
            elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
                yield from makefile_uses(rel, self._text(file) or "", dockerfiles)
            elif name.endswith((".sh", ".bash")):
                yield from references.command_uses(self._text(file) or "",
                                                   references.Context(rel), dockerfiles)

    def _text(self, file: SourceFile, limit: int = 512 * 1024) -> str | None:
        if file.is_symlink or file.size > limit:
            return None
        return self._read(file)

    def _head(self, file: SourceFile) -> str:
        return (self._read(file) or "")[:HEAD_BYTES * 2]

    # -- git: what a mode says ----------------------------------------------------------------
    @property
    def tracked(self) -> set[str] | None:
        """Files git tracks (relative to the root), or None outside a git work tree."""
        if self._provenance is None:
            self._tracked = git_tracked(self.root)
            if self._tracked is not None:
                self._provenance = "git"
            elif _archive_root(self.root) is not None:
                self._provenance = "archive"
            elif any((d / ".git").exists() for d in [self.root, *self.root.parents]):
                self._provenance = "checkout"
            else:
                self._provenance = "plain"
        return self._tracked

    @property
    def provenance(self) -> str:
        """Where the files come from: git (a work tree: tracked files are known), checkout
        (a .git git could not read), archive (an unpacked repository without .git) or
        plain (a directory with no sign of version control)."""
        _ = self.tracked
        return self._provenance or "plain"

    def repository_file(self, rel: str) -> str | None:
        """Why the mode of this file says nothing about production (it is a repository
        file: git keeps no group or other bits), or None when the mode is a fact."""
        tracked = self.tracked
        if self._provenance == "git":
            return ("tracked by git: git keeps no group or other permission bits, so the mode "
                    "is that of this checkout") if _normal(rel) in (tracked or ()) else None
        if self._provenance == "checkout":
            return ("in a git checkout whose tracked files git could not list: the mode is "
                    "that of this checkout")
        if self._provenance == "archive":
            return ("a file of an unpacked repository archive (no .git): its mode comes from "
                    "the umask of whoever packed or unpacked it")
        return None

    # -- summaries ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Files by role (those out of scope under ``out of scope``), every role listed."""
        counted: Counter[str] = Counter()
        for file in self.files:
            counted["out of scope" if self.out_of_scope(file.rel) else
                    str(self.judge(file.rel).role)] += 1
        return {**{str(r): counted.get(str(r), 0) for r in ROLES},
                **({"out of scope": counted["out of scope"]} if counted["out of scope"] else {})}

    def not_production(self) -> dict[str, Judgement]:
        """The non-production roles inferred, as few globs as say them: a directory when
        every file under it has the same role (``frontend/src/client/``: generated), else
        the glob of the evidence (``backend/tests/``) or the file. Documentation found by
        its file name alone (``*.md``, README) is left out: a rule everywhere, not a list."""
        judged = {f.rel: self.judge(f.rel) for f in self.files if not self.out_of_scope(f.rel)}
        under: dict[str, set[Role]] = {}
        for rel, judgement in judged.items():
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                under.setdefault("/".join(parts[:depth]) + "/", set()).add(judgement.role)
        found: dict[str, Judgement] = {}
        for rel, judgement in judged.items():
            if judgement.production or (judgement.role == Role.DOCUMENTATION
                                        and judgement.source == "name"
                                        and judgement.pattern == rel):
                continue
            parts = rel.split("/")
            whole = next((d for d in ("/".join(parts[:n]) + "/" for n in range(1, len(parts)))
                          if under[d] == {judgement.role}
                          and sum(r.startswith(d) for r in judged) > 1), None)
            if whole is None or (judgement.pattern.endswith("/") and
                                 len(judgement.pattern) <= len(whole)):
                found.setdefault(judgement.pattern or rel, judgement)
            elif whole not in found:
                count = sum(r.startswith(whole) for r in judged)
                found[whole] = Judgement(judgement.role, f"every file is {judgement.role} ({count} "
                                                         f"file(s); e.g. {judgement.reason})",
                                         judgement.source, whole)
        return found


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def valid_glob(pattern: str) -> str:
    """A scope glob, checked; ValueError names what is wrong."""
    if not pattern.strip():
        raise ValueError("expected a non-empty glob such as 'deploy/**' or 'tests/'")
    try:
        _spec([pattern])
    except Exception as exc:  # pathspec raises several types for a bad pattern
        raise ValueError(f"invalid glob {pattern!r}: {exc}") from None
    return pattern


def _normal(rel: str) -> str:
    rel = rel.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return posixpath.normpath(rel) if rel else "."
