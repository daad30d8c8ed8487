"""Rules on CI pipelines as a whole: tests run and can fail the build, security scanners
run and can fail it, generated code is checked for drift, actions are pinned.

Every rule reads every workflow and job, and every command a step runs down into the
tree (:attr:`Step.commands`). A finding about the pipelines as a whole ("no step runs
the tests") is attached to where the workflows live (``.github/workflows``,
``.gitlab-ci.yml``), not to one of them. No pytest here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.vocabulary import Level

from . import commands
from .commands import Command
from .entries import package_json
from .pipelines import Pipeline, Step

TESTS = re.compile(r"(?<![\w-])(pytest|py\.test|tox|nox|unittest|go test|cargo (test|nextest)|"
                   r"(npm|yarn|pnpm) (run )?test|mvn\b.*\b(test|verify)|gradlew?\b.*\btest|"
                   r"make (test|check)|rspec|phpunit|jest|vitest|ctest|mocha|"
                   r"manage\.py\s+test|django-admin\s+test|bun test|deno test|dotnet test|"
                   r"mix test|playwright test|cypress run|hatch test|behave|"
                   r"ginkgo|gotestsum)(?![\w-])")
# A make target, just recipe, npm script, tox env, nox session or script named for tests.
TEST_NAME = re.compile(r"(?<![A-Za-z0-9])(tests?|e2e|specs?|unittests?)(?![A-Za-z0-9])",
                       re.IGNORECASE)
SCANNER_RUN = re.compile(r"(?<![\w-])(gitleaks|trivy|bandit|semgrep|pip-audit|safety|snyk|grype|"
                         r"osv-scanner|trufflehog|(npm|yarn|pnpm|bun) audit|gosec|govulncheck|"
                         r"dependency-check|checkov|tfsec|codeql|hadolint|zizmor|scorecard|"
                         r"cargo[- ]audit|cargo[- ]deny|bundler?[- ]audit|brakeman|"
                         r"detect-secrets|kics|docker scout)(?![\w-])")
SCANNER_ACTION = re.compile(r"^(github/codeql-action/|aquasecurity/trivy-action|"
                            r"gitleaks/gitleaks-action|returntocorp/semgrep-action|semgrep/|"
                            r"pypa/gh-action-pip-audit|snyk/actions|anchore/scan-action|"
                            r"trufflesecurity/trufflehog|securego/gosec|ossf/scorecard-action|"
                            r"google/osv-scanner-action|hadolint/hadolint-action|"
                            r"zizmorcore/zizmor-action|woodruffw/zizmor-action|"
                            r"pyupio/safety-action|pycqa/bandit-action|"
                            r"actions/dependency-review-action|golang/govulncheck-action|"
                            r"docker/scout-action|checkmarx/kics-github-action|"
                            r"bridgecrewio/checkov-action|(github|super-linter)/super-linter)",
                            re.IGNORECASE)
# Scanners whose results go to GitHub code scanning: a merge is blocked only by the
# repository's code scanning merge protection, which the tree does not show.
CODE_SCANNING = re.compile(r"^(github/codeql-action/|ossf/scorecard-action|"
                           r"(zizmorcore|woodruffw)/zizmor-action)", re.IGNORECASE)
GITLAB_SCANNER_TEMPLATE = re.compile(r"(?i)(SAST|Secret-Detection|Dependency-Scanning|"
                                     r"Container-Scanning|DAST)")
SWALLOWED = re.compile(r"\|\|\s*(true|:|exit 0)\b|;\s*(true|exit 0)\s*$|--exit-zero\b|"
                       r"--exit-code[= ]0\b|--no-fail\b|--soft-fail\b|--no-exit-codes?\b|"
                       r"^-(?=\S)", re.MULTILINE)
PROTO_SYNC = re.compile(r"(grpc_tools\.protoc|(?<![\w-])protoc(?![\w-])|buf (generate|breaking|"
                        r"lint|format)|proto\S*[-_](check|sync|verify|diff|gen\w*)|"
                        r"(check|sync|verify|gen\w*)[-_]\S*proto)")
DIFF_GATE = re.compile(r"git diff\b[^\n|;&]*--(exit-code|quiet)|git diff-index\b[^\n|;&]*"
                       r"--quiet|git status --porcelain|buf breaking|"
                       r"clean[-_]work[-_]?tree|work[-_]?tree[-_]clean|"
                       r"(check|sync|verify)[-_]\S*proto|proto\S*[-_](check|sync|verify|diff)")
BRANCH_REFS = frozenset({"main", "master", "develop", "dev", "trunk", "latest", "head", "stable",
                         "release", "nightly"})
# Dependency update bots: configured in a file, not run by a workflow.
UPDATE_BOTS = {".github/dependabot.yml": "Dependabot", ".github/dependabot.yaml": "Dependabot",
               "renovate.json": "Renovate", "renovate.json5": "Renovate",
               ".github/renovate.json": "Renovate", ".github/renovate.json5": "Renovate",
               ".gitlab/renovate.json": "Renovate", ".gitlab/renovate.json5": "Renovate",
               ".renovaterc": "Renovate", ".renovaterc.json": "Renovate",
               ".renovaterc.json5": "Renovate"}
SECURITY_SCAN_RULES = ("no-scanner", "cannot-fail", "updates-only", "code-scanning")


def home(pipelines: list[Pipeline]) -> str:
    """Where the pipelines live, for a finding about all of them: the workflows directory
    (GitHub), else the one GitLab file; '.' when there are none."""
    files = [p.file for p in pipelines]
    if any(f.startswith(".github/workflows/") for f in files):
        return ".github/workflows"
    return files[0] if len(set(files)) == 1 else "."


def _outside(pipelines: list[Pipeline]) -> str:
    """What the pipelines run from outside the tree, for a finding that cannot tell
    ('' when everything they run is in the tree)."""
    found = [f"{what} ({file}:{line})" for p in pipelines for what, file, line in p.external]
    if not found:
        return ""
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return "; ".join(found[:3]) + more


def _nothing_found(rule: str, pipelines: list[Pipeline], does: str) -> Finding:
    """No step does it (error), unless a workflow or include from outside the tree may
    (a warning: the audit cannot read it, so it cannot tell)."""
    outside = _outside(pipelines)
    if outside:
        return Finding(rule, f"no step in {_described(pipelines)} {does}; what runs from "
                       f"outside the tree cannot be read and may: {outside}", home(pipelines),
                       level=Level.WARNING)
    return Finding(rule, f"no step in {_described(pipelines)} {does}", home(pipelines))


def _described(pipelines: list[Pipeline]) -> str:
    count = len({p.file for p in pipelines})
    return f"{home(pipelines)} ({count} workflow{'s' if count != 1 else ''}, all jobs read)"


@dataclass(frozen=True)
class Use:
    """A step that does something a rule looks for, and the command line that does it
    (``command`` is None for a ``uses:`` action)."""

    step: Step
    name: str
    command: Command | None = None

    def where(self) -> str:
        found = self.command.where() if self.command is not None else ""
        own = f"{self.step.file}:{self.step.line}"
        return own if not found or found.startswith(self.step.file + ":") else \
            f"{own} (via {found})"


def _named_for_tests(cwd: str, command: Command) -> str | None:
    """The test-named entry a command line calls (``make run-telemetry-tests``,
    ``./test.sh``, ``npm run test:e2e``), whether or not its definition is in the tree."""
    for simple in commands.words(command.shell):
        call = commands.invocation(simple, cwd)
        if call is None or call.kind not in ("make", "just", "npm", "script", "tox", "nox"):
            continue
        for name in call.names:
            base = name.rpartition("/")[2]
            if TEST_NAME.search(base) or (call.kind == "make" and base == "check"):
                return f"{call.kind if call.kind != 'script' else ''} {name}".strip()
    return None


def _effective(step: Step, match: Callable[[Command], str | None]) -> list[tuple[Command, str]]:
    """The commands of a step that ``match`` names, those that lead to a deeper match left
    out: ``npm test`` is judged by the ``jest; exit 0`` it runs."""
    found = [(c, name) for c in step.commands if (name := match(c))]
    return [(c, name) for c, name in found
            if not any(d.depth > c.depth and c.text in d.via for d, _ in found)]


def _best(step: Step, match: Callable[[Command], str | None]) -> Use | None:
    """The step's use of something: the first command that can fail the build, else the
    first one (None: the step does not do it)."""
    found = _effective(step, match)
    if not found:
        return None
    command, name = next(((c, n) for c, n in found if not cannot_fail_reason(step, c)),
                         found[0])
    return Use(step, name, command)


# tox's convention: an env named for an interpreter (py312, pypy3, py311-django42) tests.
_INTERPRETER_ENV = re.compile(r"(py|pypy)\d*", re.IGNORECASE)


def _followed(step: Step, command: Command) -> bool:
    """Whether what ``command`` calls was read (its entries were found in the tree)."""
    return any(d.depth > command.depth and command.text in d.via for d in step.commands)


def _envs_for_tests(step: Step, command: Command) -> bool:
    """Whether a tox/nox call asks for an env that tests by its name (the default list,
    no ``-e``/``-s``, cannot be told apart and counts)."""
    for simple in commands.words(command.shell):
        call = commands.invocation(simple, step.workdir)
        if call is None or call.kind not in ("tox", "nox"):
            continue
        if not call.names or any(TEST_NAME.search(name) or _INTERPRETER_ENV.fullmatch(factor)
                                 for name in call.names for factor in name.split("-")):
            return True
    return False


def _runs_tests(step: Step, command: Command) -> str | None:
    """The test runner a command line names. tox and nox are task runners: once their env
    was read and runs no tests (``tox -e lint``), the name counts only for a test env."""
    match = TESTS.search(command.shell)
    if match is None:
        return None
    if match.group(1) in ("tox", "nox") and _followed(step, command) \
            and not _envs_for_tests(step, command):
        return None
    return match.group(0)


def test_uses(pipelines: Iterable[Pipeline]) -> list[Use]:
    """Steps that run tests, each with the command line that does (one that can fail the
    build when there is one). What a step runs decides first; an entry point named for
    tests (``make run-telemetry-tests``) counts only when nothing it runs says more."""
    found = []
    for p in pipelines:
        for step in p.steps:
            use = _best(step, partial(_runs_tests, step)) or _best(
                step, partial(_named_for_tests, step.workdir))
            if use is not None:
                found.append(use)
    return found


def test_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    return [use.step for use in test_uses(pipelines)]


def cannot_fail_reason(step: Step, command: Command | None = None) -> str | None:
    """Why a step's failure would not fail the build (None: it can fail it). With
    ``command``, the exit status is judged on that line and the lines that called it."""
    if step.allowed_to_fail:
        return "continue-on-error / allow_failure is set"
    lines = (command.via + (command.text,)) if command is not None else (step.run,)
    for line in lines:
        swallowed = SWALLOWED.search(line)
        if swallowed:
            shown = swallowed.group(0).strip()
            return ("make ignores its failure (- prefix)" if shown == "-" else
                    f"its exit status is swallowed ({shown})")
    run = command.text if command is not None else step.run
    if re.search(r"(?<![\w-])trivy\b", run) and not re.search(r"--exit-code[= ]*[1-9]", run):
        return "trivy exits 0 on findings unless --exit-code 1"
    if re.search(r"(?<![\w-])grype\b", run) and "--fail-on" not in run:
        return "grype exits 0 on findings unless --fail-on"
    if re.search(r"(?<![\w-])semgrep\b(?! ci)", run) and "--error" not in run:
        return "semgrep scan exits 0 on findings unless --error"
    if re.search(r"(?<![\w-])docker scout\b", run) and "--exit-code" not in run:
        return "docker scout exits 0 on findings unless --exit-code"
    return _action_cannot_fail(step) if command is None else None


def _input(step: Step, name: str, default: str) -> str:
    return str(step.inputs.get(name, default)).strip().strip("'\"").lower()


def _action_cannot_fail(step: Step) -> str | None:
    uses = step.uses.lower()
    if uses.startswith("aquasecurity/trivy-action") and _input(step, "exit-code", "0") == "0":
        return "trivy-action exits 0 on findings unless exit-code: 1"
    if uses.startswith("anchore/scan-action") and _input(step, "fail-build", "true") == "false":
        return "anchore/scan-action has fail-build: false"
    if uses.startswith("docker/scout-action") and _input(step, "exit-code", "false") != "true":
        return "docker/scout-action exits 0 on findings unless exit-code: true"
    return None


def _super_linter_scans(step: Step) -> bool:
    """super-linter runs gitleaks and checkov unless its VALIDATE_* settings leave them
    out (any VALIDATE_X: true runs only those set true)."""
    flags = {k.upper(): v.strip().lower() for k, v in step.env.items()
             if k.upper().startswith("VALIDATE_")}
    scanners = ("VALIDATE_GITLEAKS", "VALIDATE_CHECKOV")
    if any(v == "true" for v in flags.values()):
        return any(flags.get(s) == "true" for s in scanners)
    return any(flags.get(s) != "false" for s in scanners)


def _scanner(command: Command) -> str | None:
    match = SCANNER_RUN.search(command.shell)
    return match.group(0) if match else None


def scanner_uses(pipelines: Iterable[Pipeline]) -> list[Use]:
    found = []
    for p in pipelines:
        for step in p.steps:
            action = SCANNER_ACTION.match(step.uses)
            if action and ("super-linter" not in step.uses.lower()
                           or _super_linter_scans(step)):
                found.append(Use(step, step.uses.split("@")[0]))
                continue
            use = _best(step, _scanner)
            if use is not None:
                found.append(use)
    return found


def scanner_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    return [use.step for use in scanner_uses(pipelines)]


def scanner_name(step: Step) -> str:
    return next((name for c in step.commands if (name := _scanner(c))),
                step.uses.split("@")[0])


def tests_run_findings(pipelines: list[Pipeline]) -> list[Finding]:
    """No step runs the tests (error), or none of the test runs can fail the build (warning:
    one run that gates the build is enough)."""
    uses = test_uses(pipelines)
    if not uses:
        return [_nothing_found("", pipelines, "runs the tests (pytest, tox, go test, npm test, "
                               "make test, a test script, ...)")]
    soft = [(u, cannot_fail_reason(u.step, u.command)) for u in uses]
    found = [Finding("", f"tests in job {u.step.job} cannot fail the build: {why}",
                     u.step.file, u.step.line, level=Level.WARNING) for u, why in soft if why]
    return found if len(found) == len(uses) else []


def update_bots(inventory: Inventory) -> list[tuple[str, str]]:
    """(file, bot) of the dependency update bots configured in the tree."""
    found = [(f.rel, UPDATE_BOTS[f.rel]) for f in inventory.files if f.rel in UPDATE_BOTS]
    package = inventory.get("package.json")
    if package is not None:
        if "renovate" in package_json(inventory.text(package) or ""):
            found.append(("package.json", "Renovate"))
    return found


def security_scan_findings(pipelines: list[Pipeline], bots: Iterable[tuple[str, str]] = ()
                           ) -> tuple[list[str], list[Finding]]:
    """(the scanners found, as evidence; findings): no scanner at all (error); only a
    dependency update bot (warning: it proposes updates, nothing can fail the build);
    scanners whose findings cannot fail the build (warning each: ``|| true``,
    ``continue-on-error``, GitLab templates); scanners reporting to GitHub code scanning
    (note: merge protection lives in the repository settings)."""
    uses = scanner_uses(pipelines)
    bots = list(bots)
    templates = [(p.file, t, line) for p in pipelines for t, line in p.includes
                 if GITLAB_SCANNER_TEMPLATE.search(t)]
    scanners = ([f"{u.where()} {u.name}" for u in uses]
                + [f"{f}:{line} {t}" for f, t, line in templates]
                + [f"{f} {bot}" for f, bot in bots])
    if not uses and not templates:
        if bots:
            return scanners, [Finding("updates-only", f"{bot} proposes dependency updates, but "
                                      "no scanner in CI can fail the build", file,
                                      level=Level.WARNING) for file, bot in bots]
        return scanners, [_nothing_found("no-scanner", pipelines, "runs a security scanner")]
    found = []
    for use in uses:
        why = cannot_fail_reason(use.step, use.command)
        if why:
            found.append(Finding("cannot-fail", f"{use.name} runs but cannot fail the build: "
                                 f"{why}", use.step.file, use.step.line, level=Level.WARNING))
        elif use.command is None and CODE_SCANNING.match(use.step.uses):
            found.append(Finding("code-scanning", f"{use.name} reports to GitHub code "
                                 "scanning: it blocks a merge only through code scanning merge "
                                 "protection, which the tree does not show",
                                 use.step.file, use.step.line, level=Level.NOTE))
    found += [Finding("cannot-fail", f"GitLab template {t} runs with allow_failure by default",
                      f, line, level=Level.WARNING) for f, t, line in templates]
    return scanners, found


def _proto(command: Command) -> str | None:
    match = PROTO_SYNC.search(command.shell)
    return match.group(0) if match else None


def proto_sync_uses(pipelines: Iterable[Pipeline]) -> list[Use]:
    found = []
    for p in pipelines:
        for step in p.steps:
            if PROTO_SYNC.search(step.uses):
                found.append(Use(step, step.uses))
                continue
            use = _best(step, _proto)
            if use is not None:
                found.append(use)
    return found


def proto_sync_steps(pipelines: Iterable[Pipeline]) -> list[Step]:
    return [use.step for use in proto_sync_uses(pipelines)]


def _gates(step: Step) -> bool:
    return bool(DIFF_GATE.search(step.uses)) or any(
        DIFF_GATE.search(c.shell) and not cannot_fail_reason(step, c) for c in step.commands)


def proto_sync_findings(pipelines: list[Pipeline]) -> list[Finding]:
    """Protos exist: some job must regenerate or lint them and fail on drift (a
    ``git diff --exit-code``, ``git status --porcelain`` or clean-work-tree check in the
    same job, or ``buf breaking``)."""
    uses = proto_sync_uses(pipelines)
    if not uses:
        return [_nothing_found("", pipelines, "compiles or checks the .proto files (protoc / "
                               "buf / a proto sync script)")]
    for use in uses:
        job = [s for p in pipelines for s in p.steps if s.job == use.step.job
               and s.file == use.step.file]
        if any(_gates(s) for s in job) and not use.step.allowed_to_fail:
            return []
    step = uses[0].step
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
