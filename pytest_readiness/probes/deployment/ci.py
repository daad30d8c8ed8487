"""CI pipelines (GitHub Actions, GitLab CI) parsed into steps, and what those steps do.

A :class:`Step` is one ``run`` / ``uses`` of a GitHub job or one script line of a
GitLab job, with its line and whether it can fail the build
(``continue-on-error``, ``allow_failure``, ``|| true`` say it cannot). Rules
find test runs, security scanners that can actually fail, proto sync checks,
and unpinned actions and dependencies. No pytest here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import (
    LineDict,
    ParseError,
    as_list,
    line_of,
    load,
    read_file,
)
from pytest_readiness.vocabulary import Level

TESTS = re.compile(r"(?<![\w-])(pytest|py\.test|tox|nox|unittest|go test|cargo test|"
                   r"(npm|yarn|pnpm) (run )?test|mvn\b.*\b(test|verify)|gradlew?\b.*\btest|"
                   r"make (test|check)|rspec|phpunit|jest|vitest|ctest)(?![\w-])|"
                   r"scripts?/\S*test\S*")
SCANNER_RUN = re.compile(r"(?<![\w-])(gitleaks|trivy|bandit|semgrep|pip-audit|safety|snyk|grype|"
                         r"osv-scanner|trufflehog|(npm|yarn|pnpm) audit|gosec|govulncheck|"
                         r"dependency-check|checkov|tfsec|codeql|hadolint)(?![\w-])")
SCANNER_ACTION = re.compile(r"^(github/codeql-action/|aquasecurity/trivy-action|"
                            r"gitleaks/gitleaks-action|returntocorp/semgrep-action|semgrep/|"
                            r"pypa/gh-action-pip-audit|snyk/actions|anchore/scan-action|"
                            r"trufflesecurity/trufflehog|securego/gosec|ossf/scorecard-action|"
                            r"google/osv-scanner-action|hadolint/hadolint-action)", re.IGNORECASE)
GITLAB_SCANNER_TEMPLATE = re.compile(r"(?i)(SAST|Secret-Detection|Dependency-Scanning|"
                                     r"Container-Scanning|DAST)")
SWALLOWED = re.compile(r"\|\|\s*(true|:|exit 0)\b|;\s*(true|exit 0)\s*$|--exit-zero\b|"
                       r"--exit-code[= ]0\b|--no-fail\b|--soft-fail\b", re.MULTILINE)
PROTO_SYNC = re.compile(r"(grpc_tools\.protoc|(?<![\w-])protoc(?![\w-])|buf (generate|breaking|"
                        r"lint|format)|proto\S*[-_](check|sync|verify|diff)|"
                        r"(check|sync|verify)[-_]\S*proto)")
DIFF_GATE = re.compile(r"git diff (--exit-code|--quiet)|git status --porcelain|buf breaking|"
                       r"(check|sync|verify)[-_]\S*proto|proto\S*[-_](check|sync|verify|diff)")
BRANCH_REFS = frozenset({"main", "master", "develop", "dev", "trunk", "latest", "head", "stable",
                         "release", "nightly"})
GITLAB_RESERVED = frozenset({"stages", "variables", "default", "include", "workflow", "image",
                             "services", "before_script", "after_script", "cache", "pages"})


@dataclass(frozen=True)
class Step:
    file: str
    job: str
    line: int
    run: str = ""
    uses: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    allowed_to_fail: bool = False  # continue-on-error / allow_failure

    @property
    def text(self) -> str:
        return f"{self.uses} {self.run}".strip()


@dataclass
class Pipeline:
    file: str
    kind: str  # github | gitlab
    steps: list[Step] = field(default_factory=list)
    includes: list[tuple[str, int]] = field(default_factory=list)  # gitlab templates

    def jobs(self) -> dict[str, list[Step]]:
        out: dict[str, list[Step]] = {}
        for step in self.steps:
            out.setdefault(step.job, []).append(step)
        return out


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() == "true"


def parse_github(data: LineDict, rel: str) -> Pipeline:
    jobs = data.get("jobs")
    if not isinstance(jobs, LineDict):
        raise ParseError(rel, "a GitHub workflow needs a 'jobs' mapping", data.line)
    pipeline = Pipeline(rel, "github")
    for job_id, job in jobs.items():
        if not isinstance(job, LineDict):
            raise ParseError(rel, f"job {job_id!r} must be a mapping", line_of(jobs, job_id))
        job_fails_soft = _truthy(job.get("continue-on-error"))
        if job.get("uses"):  # a reusable workflow call is one step
            pipeline.steps.append(Step(rel, str(job_id), line_of(job, "uses"),
                                       uses=str(job["uses"]), allowed_to_fail=job_fails_soft))
        steps = job.get("steps")
        for index, step in enumerate(as_list(steps)):
            if not isinstance(step, dict):
                raise ParseError(rel, f"step {index + 1} of job {job_id!r} must be a mapping",
                                 line_of(steps, index))
            inputs = {str(k): str(v) for k, v in (step.get("with") or {}).items()} \
                if isinstance(step.get("with"), dict) else {}
            pipeline.steps.append(Step(
                rel, str(job_id), line_of(steps, index), run=str(step.get("run") or ""),
                uses=str(step.get("uses") or ""), inputs=inputs,
                allowed_to_fail=job_fails_soft or _truthy(step.get("continue-on-error"))))
    return pipeline


def parse_gitlab(data: LineDict, rel: str) -> Pipeline:
    pipeline = Pipeline(rel, "gitlab")
    for index, item in enumerate(as_list(data.get("include"))):
        template = item.get("template") if isinstance(item, dict) else None
        if template:
            pipeline.includes.append((str(template), line_of(data.get("include"), index)))
    hidden = {k: v for k, v in data.items() if str(k).startswith(".") and isinstance(v, dict)}
    for name, job in data.items():
        if name in GITLAB_RESERVED or str(name).startswith(".") or not isinstance(job, dict):
            continue
        merged = dict(job)
        for parent in as_list(job.get("extends")):
            for key, value in hidden.get(str(parent), {}).items():
                merged.setdefault(key, value)
        soft = _truthy(merged.get("allow_failure")) or isinstance(merged.get("allow_failure"),
                                                                   dict)
        for key in ("before_script", "script"):
            lines = merged.get(key)
            for i, command in enumerate(as_list(lines)):
                pipeline.steps.append(Step(rel, str(name), line_of(lines, i, line_of(job, key)),
                                           run=str(command), allowed_to_fail=soft))
    return pipeline


def load_pipeline(path: Path, rel: str, reader: Reader | None = None) -> Pipeline:
    data = load(read_file(path, rel, reader), rel)
    if not isinstance(data, LineDict):
        raise ParseError(rel, "expected a mapping at the top level of a CI file")
    return parse_gitlab(data, rel) if rel.endswith(".gitlab-ci.yml") else parse_github(data, rel)


# --- rules -------------------------------------------------------------------------


def test_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    return [s for p in pipelines for s in p.steps if s.run and TESTS.search(s.run)]


def cannot_fail_reason(step: Step) -> str | None:
    """Why a step's failure would not fail the build (None: it can fail it)."""
    if step.allowed_to_fail:
        return "continue-on-error / allow_failure is set"
    swallowed = SWALLOWED.search(step.run)
    if swallowed:
        return f"its exit status is swallowed ({swallowed.group(0).strip()})"
    run = step.run
    if re.search(r"(?<![\w-])trivy\b", run) and not re.search(r"--exit-code[= ]*[1-9]", run):
        return "trivy exits 0 on findings unless --exit-code 1"
    if re.search(r"(?<![\w-])grype\b", run) and "--fail-on" not in run:
        return "grype exits 0 on findings unless --fail-on"
    if re.search(r"(?<![\w-])semgrep\b(?! ci)", run) and "--error" not in run:
        return "semgrep scan exits 0 on findings unless --error"
    uses = step.uses.lower()
    if uses.startswith("aquasecurity/trivy-action") and \
            str(step.inputs.get("exit-code", "0")).strip("'\"") == "0":
        return "trivy-action exits 0 on findings unless exit-code: 1"
    return None


def scanner_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    found = []
    for p in pipelines:
        for step in p.steps:
            if (step.run and SCANNER_RUN.search(step.run)) or SCANNER_ACTION.match(step.uses):
                found.append(step)
    return found


def scanner_name(step: Step) -> str:
    match = SCANNER_RUN.search(step.run) if step.run else None
    return match.group(0) if match else step.uses.split("@")[0]


def tests_run_findings(pipelines: list[Pipeline]) -> list[Finding]:
    """No step runs the tests (error), or none of the test runs can fail the build (warning:
    one run that gates the build is enough)."""
    steps = test_steps(pipelines)
    if not steps:
        return [Finding("", "no step runs the tests (pytest, tox, go test, npm test, make test, "
                        "...)", p.file) for p in pipelines[:1]]
    soft = [(s, cannot_fail_reason(s)) for s in steps]
    found = [Finding("", f"tests in job {s.job} cannot fail the build: {why}", s.file, s.line,
                     level=Level.WARNING) for s, why in soft if why]
    return found if len(found) == len(steps) else []


SECURITY_SCAN_RULES = ("no-scanner", "cannot-fail")


def security_scan_findings(pipelines: list[Pipeline]) -> tuple[list[str], list[Finding]]:
    """(the scanners found, as evidence; findings): no scanner at all, or scanners whose
    findings cannot fail the build (``|| true``, ``continue-on-error``, GitLab templates)."""
    steps = scanner_steps(pipelines)
    templates = [(p.file, t, line) for p in pipelines for t, line in p.includes
                 if GITLAB_SCANNER_TEMPLATE.search(t)]
    scanners = ([f"{s.file}:{s.line} {scanner_name(s)}" for s in steps]
                + [f"{f}:{line} {t}" for f, t, line in templates])
    if not steps and not templates:
        return scanners, [Finding("no-scanner", "no security scanner runs in CI", p.file)
                          for p in pipelines[:1]]
    found = [Finding("cannot-fail", f"{scanner_name(s)} runs but cannot fail the build: {why}",
                     s.file, s.line, level=Level.WARNING)
             for s in steps if (why := cannot_fail_reason(s))]
    found += [Finding("cannot-fail", f"GitLab template {t} runs with allow_failure by default",
                      f, line, level=Level.WARNING) for f, t, line in templates]
    return scanners, found


DEPENDENCY_RULES = ("no-lockfile", "unpinned", "action-pin")


def proto_sync_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    return [s for p in pipelines for s in p.steps if PROTO_SYNC.search(s.text)]


def proto_sync_findings(pipelines: list[Pipeline]) -> list[Finding]:
    """Protos exist: some job must regenerate or lint them and fail on drift."""
    steps = proto_sync_steps(pipelines)
    if not steps:
        first = pipelines[0] if pipelines else None
        return [Finding("", "no CI step compiles or checks the .proto files "
                        "(protoc / buf / a proto sync script)",
                        first.file if first else ".", None)]
    for step in steps:
        job = [s for p in pipelines for s in p.steps if s.job == step.job and s.file == step.file]
        if any(DIFF_GATE.search(s.text) for s in job) and not step.allowed_to_fail:
            return []
    step = steps[0]
    return [Finding("", f"job {step.job} regenerates protos but never fails on "
                    "drift (add git diff --exit-code or buf breaking)", step.file, step.line,
                    level=Level.WARNING)]


def action_pin_findings(pipelines: Iterable[Pipeline]) -> list[Finding]:
    out = []
    for p in pipelines:
        for step in p.steps:
            uses = step.uses
            if not uses or uses.startswith("./"):
                continue
            if uses.startswith("docker://"):
                image = uses.removeprefix("docker://")
                name = image.rsplit("/", 1)[-1]
                if "@sha256:" not in image and (":" not in name or name.endswith(":latest")):
                    out.append(Finding("action-pin", f"{uses} is not pinned to a tag",
                                       step.file, step.line))
                continue
            name, _, ref = uses.partition("@")
            if not ref:
                out.append(Finding("action-pin", f"action {name} has no version",
                                   step.file, step.line))
            elif ref.lower() in BRANCH_REFS:
                out.append(Finding("action-pin", f"action {name}@{ref} follows a branch: pin "
                                   "a release tag or a commit SHA", step.file, step.line))
    return out


# --- dependency locks -----------------------------------------------------------------

MANIFESTS = {
    "pyproject.toml": ("python", ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock",
                                  "requirements.lock")),
    "Pipfile": ("python", ("Pipfile.lock",)),
    "setup.py": ("python", ("poetry.lock", "uv.lock", "requirements.lock")),
    "package.json": ("node", ("package-lock.json", "yarn.lock", "pnpm-lock.yaml",
                              "npm-shrinkwrap.json", "bun.lockb")),
    "go.mod": ("go", ("go.sum",)),
    "Cargo.toml": ("rust", ("Cargo.lock",)),
    "Gemfile": ("ruby", ("Gemfile.lock",)),
}
REQUIREMENTS = re.compile(r"(^|/)(requirements|constraints)[\w.-]*\.(txt|in)$")
PINNED = re.compile(r"^[A-Za-z0-9_.\[\],-]+\s*===?\s*[\w.*+!-]+")


def unpinned_requirements(text: str, rel: str) -> list[Finding]:
    """Requirement lines without an exact ``==`` pin (hash-locked files pass)."""
    if "--hash=" in text:
        return []
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http://", "https://", ".", "/")):
            continue
        if not PINNED.match(line):
            out.append(Finding("unpinned", f"{line} is not pinned with ==", rel,
                               number))
    return out


def declares_dependencies(rel: str) -> bool:
    """A manifest or requirements file: something whose pinning can be judged."""
    name = rel.rpartition("/")[2]
    return name in MANIFESTS or bool(REQUIREMENTS.search(rel) and rel.endswith(".txt"))


def dependency_findings(inventory: Inventory) -> tuple[list[Finding], list[str]]:
    """Unpinned requirement lines and manifests without a lock file; plus the locks found."""
    rels = {f.rel for f in inventory.files}
    out: list[Finding] = []
    locks: list[str] = []
    requirement_dirs: set[str] = set()
    for file in inventory.files:
        if REQUIREMENTS.search(file.rel) and file.rel.endswith(".txt"):
            requirement_dirs.add(file.rel.rpartition("/")[0])
            out += unpinned_requirements(inventory.text(file) or "", file.rel)
    for file in inventory.files:
        name = file.name
        if name not in MANIFESTS:
            continue
        ecosystem, lock_names = MANIFESTS[name]
        directory = file.rel.rpartition("/")[0]
        prefix = f"{directory}/" if directory else ""
        found = [prefix + lock for lock in lock_names if prefix + lock in rels]
        if not found and ecosystem == "go" and "require" not in (inventory.text(file) or ""):
            continue  # a module with no dependencies has no go.sum
        if not found and ecosystem == "python" and directory in requirement_dirs:
            continue  # pinned requirements files are the lock (checked line by line above)
        if found:
            locks += found
        else:
            out.append(Finding("no-lockfile", f"{ecosystem} dependencies in {file.rel} have "
                               f"no lock file ({' / '.join(lock_names[:3])})", file.rel, None))
    return out, locks
