"""CI pipelines (GitHub Actions, GitLab CI) parsed into steps, with what each step runs.

A :class:`Step` is one ``run`` / ``uses`` of a GitHub job or one script line of a GitLab
job, with its line and whether it can fail the build (``continue-on-error``,
``allow_failure`` say it cannot). :func:`load_pipelines` reads every workflow of a
codebase and follows what lives in the tree: local composite actions
(``uses: ./.github/actions/x``) become steps of the calling job, local reusable workflows
(``uses: ./.github/workflows/x.yml``) are read when they are not already, GitLab
``include: local`` files and ``!reference`` tags are merged as GitLab merges them, and
each step's command lines are resolved into scripts, Makefiles, package.json and the
rest (:mod:`.commands`). No pytest here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import (
    LineDict,
    LineLoader,
    ParseError,
    as_list,
    line_of,
    load,
    read_file,
)

from . import commands, entries
from .commands import Command, Sources

GITLAB_RESERVED = frozenset({"stages", "variables", "default", "include", "workflow", "image",
                             "services", "before_script", "after_script", "cache", "pages"})
MAX_INCLUDES = 50


@dataclass(frozen=True)
class Step:
    file: str
    job: str
    line: int
    run: str = ""
    uses: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    allowed_to_fail: bool = False  # continue-on-error / allow_failure
    workdir: str = ""  # working-directory, relative to the codebase root
    env: dict[str, str] = field(default_factory=dict)
    run_line: int = 0  # the line of the ``run`` key (0: the step's line)
    step_id: str = ""  # GitHub ``id``
    condition: str = ""  # GitHub ``if``
    resolved: tuple[Command, ...] | None = None  # set by load_pipelines

    @property
    def text(self) -> str:
        return f"{self.uses} {self.run}".strip()

    def own_commands(self) -> list[Command]:
        """The step's own command lines (a multi-line ``run: |`` starts a line below)."""
        if not self.run:
            return []
        first = self.run_line or self.line
        if "\n" in self.run.strip():
            first += 1
        return [Command(text, self.file, line)
                for line, text in entries.shell_lines(self.run, first)]

    @property
    def commands(self) -> list[Command]:
        """Every command line the step runs: its own and, once loaded with the tree, what
        they call (depth 1 and below)."""
        return list(self.resolved) if self.resolved is not None else self.own_commands()


@dataclass
class Pipeline:
    file: str
    kind: str  # github | gitlab
    steps: list[Step] = field(default_factory=list)
    includes: list[tuple[str, int]] = field(default_factory=list)  # gitlab templates
    local_includes: list[tuple[str, int]] = field(default_factory=list)  # gitlab include: local
    unread: list[str] = field(default_factory=list)  # what it calls that could not be read
    # What it runs from outside the tree (remote reusable workflows, GitLab project /
    # remote / component / template includes): (what, file, line).
    external: list[tuple[str, str, int]] = field(default_factory=list)

    def jobs(self) -> dict[str, list[Step]]:
        out: dict[str, list[Step]] = {}
        for step in self.steps:
            out.setdefault(step.job, []).append(step)
        return out


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _workdir(*tables: object) -> str:
    """The first ``working-directory`` set (step, then job, then workflow defaults)."""
    for table in tables:
        if not isinstance(table, dict):
            continue
        value = table.get("working-directory")
        if value is None:
            run = (table.get("defaults") or {}).get("run") if isinstance(
                table.get("defaults"), dict) else None
            value = run.get("working-directory") if isinstance(run, dict) else None
        if isinstance(value, str) and "${{" not in value:
            return commands.join("", value)
    return ""


def _strings(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def github_steps(steps: object, rel: str, job: str, soft: bool, workdir: str,
                 where: str) -> list[Step]:
    """Steps of a job (or of a composite action's ``runs``)."""
    out = []
    for index, step in enumerate(as_list(steps)):
        if not isinstance(step, dict):
            raise ParseError(rel, f"step {index + 1} of {where} must be a mapping",
                             line_of(steps, index))
        out.append(Step(
            rel, job, line_of(steps, index), run=str(step.get("run") or ""),
            uses=str(step.get("uses") or ""), inputs=_strings(step.get("with")),
            allowed_to_fail=soft or _truthy(step.get("continue-on-error")),
            workdir=_workdir(step) or workdir, env=_strings(step.get("env")),
            run_line=line_of(step, "run"), step_id=str(step.get("id") or ""),
            condition=str(step.get("if") or "")))
    return out if soft else _deferred_failures(out)


_FAILS = re.compile(r"(?<![\w-])(exit\s+[1-9]\d*|false)\s*$|core\.setFailed", re.MULTILINE)


def _deferred_failures(steps: list[Step]) -> list[Step]:
    """A ``continue-on-error`` step whose failure a later step of the job turns into a
    failed build (``if: steps.<id>.outcome == 'failure'`` then ``exit 1``) can fail it."""
    out = list(steps)
    for index, step in enumerate(steps):
        if not step.allowed_to_fail or not step.step_id:
            continue
        checked = re.compile(rf"steps\.{re.escape(step.step_id)}\.(outcome|conclusion)\b")
        if any(checked.search(later.condition) and _FAILS.search(
                f"{later.run}\n{later.inputs.get('script', '')}")
               for later in steps[index + 1:]):
            out[index] = replace(step, allowed_to_fail=False)
    return out


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
                                       uses=str(job["uses"]), inputs=_strings(job.get("with")),
                                       allowed_to_fail=job_fails_soft))
            if not str(job["uses"]).startswith("./"):
                pipeline.external.append((str(job["uses"]), rel, line_of(job, "uses")))
        pipeline.steps += github_steps(job.get("steps"), rel, str(job_id), job_fails_soft,
                                       _workdir(job, data), f"job {job_id!r}")
    return pipeline


# --- GitLab ------------------------------------------------------------------------------


class Reference(tuple[str, ...]):
    """GitLab's ``!reference [.job, key]``: a part of another job, resolved on use."""


class _GitLabLoader(LineLoader):
    pass


def _construct_reference(loader: _GitLabLoader, node: yaml.Node) -> Reference:
    if not isinstance(node, yaml.SequenceNode):
        return Reference()
    return Reference(str(loader.construct_scalar(item)) for item in node.value
                     if isinstance(item, yaml.ScalarNode))


yaml.add_constructor("!reference", _construct_reference, Loader=_GitLabLoader)


def _dereference(data: Mapping[Any, Any], ref: Reference) -> object:
    value: object = data
    for key in ref:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _script_items(lines: object, data: Mapping[Any, Any], default_line: int,
                  depth: int = 0) -> list[tuple[str, int]]:
    """(command, line) of a GitLab script list: nested lists and ``!reference`` flattened."""
    if isinstance(lines, Reference):
        lines = [lines]
    out: list[tuple[str, int]] = []
    for index, item in enumerate(as_list(lines)):
        line = line_of(lines, index, default_line)
        if isinstance(item, Reference) and depth < 10:
            out += [(c, line) for c, _ in _script_items(_dereference(data, item), data, line,
                                                         depth + 1)]
        elif isinstance(item, list) and depth < 10:
            out += _script_items(item, data, line, depth + 1)
        elif item is not None and not isinstance(item, (dict, list)):
            out.append((str(item), line))
    return out


def _extended(data: Mapping[Any, Any], name: str, seen: tuple[str, ...] = ()) -> dict[Any, Any]:
    """A job with what it ``extends`` merged under it (parents first, up to 11 levels)."""
    job = data.get(name)
    if not isinstance(job, dict) or name in seen or len(seen) > 10:
        return {}
    merged: dict[Any, Any] = {}
    for parent in as_list(job.get("extends")):
        merged.update(_extended(data, str(parent), seen + (name,)))
    merged.update(job)
    return merged


def _gitlab_local_includes(value: object) -> list[tuple[str, int]]:
    out = []
    for index, item in enumerate(as_list(value)):
        path = item.get("local") if isinstance(item, dict) else item
        if isinstance(path, str) and not path.startswith(("http://", "https://")) and (
                not isinstance(item, dict) or "local" in item):
            out.append((path.lstrip("/"), line_of(value, index)))
    return out


def _gitlab_external(item: object) -> str:
    """What an include brings from outside the tree ('' for a local file)."""
    if isinstance(item, str):
        return item if item.startswith(("http://", "https://")) else ""
    if not isinstance(item, dict):
        return ""
    for key in ("project", "remote", "component", "template"):
        if item.get(key):
            extra = f" {item['file']}" if key == "project" and item.get("file") else ""
            return f"{key}: {item[key]}{extra}"
    return ""


def parse_gitlab(data: LineDict, rel: str, files: Mapping[str, str] | None = None) -> Pipeline:
    """A GitLab pipeline; ``files`` names the file each job comes from when ``data`` merges
    included files (default: ``rel``)."""
    files = files or {}
    pipeline = Pipeline(rel, "gitlab")
    include = data.get("include")
    for index, item in enumerate(as_list(include)):
        template = item.get("template") if isinstance(item, dict) else None
        if template:
            pipeline.includes.append((str(template), line_of(include, index)))
        outside = _gitlab_external(item)
        if outside:
            pipeline.external.append((outside, rel, line_of(include, index)))
    pipeline.local_includes = _gitlab_local_includes(include)
    default = data.get("default")
    global_before = data.get("before_script", default.get("before_script")
                             if isinstance(default, dict) else None)
    for name, job in data.items():
        if name in GITLAB_RESERVED or str(name).startswith(".") or not isinstance(job, dict):
            continue
        merged = _extended(data, str(name))
        trigger = merged.get("trigger")
        if isinstance(trigger, dict):
            pipeline.local_includes += _gitlab_local_includes(trigger.get("include"))
        failure = merged.get("allow_failure")
        soft = _truthy(failure) or isinstance(failure, dict) or (
            merged.get("when") == "manual" and "allow_failure" not in merged)
        before = merged["before_script"] if "before_script" in merged else global_before
        for key, lines in (("before_script", before), ("script", merged.get("script"))):
            for command, line in _script_items(lines, data, line_of(job, key)):
                pipeline.steps.append(Step(files.get(str(name), rel), str(name), line,
                                           run=command, allowed_to_fail=soft))
    return pipeline


def _load_yaml(text: str, rel: str, gitlab: bool) -> LineDict:
    data = load(text, rel, _GitLabLoader) if gitlab else load(text, rel)
    if not isinstance(data, LineDict):
        raise ParseError(rel, "expected a mapping at the top level of a CI file")
    return data


def is_gitlab(rel: str) -> bool:
    return rel.endswith(".gitlab-ci.yml") or rel.endswith(".gitlab-ci.yaml")


def load_pipeline(path: Path, rel: str, reader: Reader | None = None) -> Pipeline:
    """One workflow file as it is (nothing in the tree followed), read through the
    bounded reader (default: one rooted at the file's directory)."""
    text = read_file(path, rel, reader)
    data = _load_yaml(text, rel, is_gitlab(rel))
    return parse_gitlab(data, rel) if is_gitlab(rel) else parse_github(data, rel)


def _gitlab_with_includes(path: Path, rel: str, sources: Sources) -> Pipeline:
    """A GitLab pipeline with its ``include: local`` files merged in (the including file's
    keys win, as in GitLab); a missing or broken include is noted, not fatal."""
    main = _load_yaml(read_file(path, rel, sources.inventory.reader), rel, True)
    first = parse_gitlab(main, rel)
    merged, files, unread = LineDict(), {}, []
    merged.line, merged.key_lines = main.line, {}
    pending, seen = list(first.local_includes), {rel}
    templates: list[tuple[str, int]] = []
    external = list(first.external)
    while pending and len(seen) < MAX_INCLUDES:
        pattern, line = pending.pop(0)
        matches = sorted(r for r in sources.files if fnmatch.fnmatchcase(r, pattern)) \
            if "*" in pattern else [pattern]
        for include in matches:
            if include in seen:
                continue
            seen.add(include)
            text = sources.text(include)
            if text is None:
                unread.append(f"{rel}:{line} include {include}: not in the tree")
                continue
            try:
                data = _load_yaml(text, include, True)
            except ParseError as exc:
                unread.append(str(exc))
                continue
            nested = parse_gitlab(data, include)
            pending += nested.local_includes
            templates += nested.includes
            external += nested.external
            for key, value in data.items():
                merged[key] = value
                files[str(key)] = include
    for key, value in main.items():
        merged[key] = value
        files.pop(str(key), None)
    pipeline = parse_gitlab(merged, rel, files)
    pipeline.includes = first.includes + templates
    pipeline.external = external
    pipeline.unread = unread
    return pipeline


# --- following local actions, reusable workflows and commands ---------------------------


def _action_steps(step: Step, sources: Sources, unread: list[str], depth: int = 0
                  ) -> list[Step]:
    """The steps of a local composite action, as steps of the calling job."""
    if not step.uses.startswith("./") or depth > 3:
        return []
    directory = commands.join("", step.uses)
    if directory.endswith((".yml", ".yaml")):
        return []  # a reusable workflow (job level), handled by the caller
    rel = next((r for r in (f"{directory}/action.yml", f"{directory}/action.yaml")
                if sources.exists(r)), None)
    text = sources.text(rel) if rel else None
    if rel is None or text is None:
        unread.append(f"{step.file}:{step.line} {step.uses}: no action.yml in the tree")
        return []
    try:
        data = _load_yaml(text, rel, False)
        runs = data.get("runs")
        if not isinstance(runs, dict) or runs.get("using") != "composite":
            return []
        inner = github_steps(runs.get("steps"), rel, step.job, step.allowed_to_fail, "",
                             f"action {step.uses!r}")
    except ParseError as exc:
        unread.append(str(exc))
        return []
    out = []
    for child in inner:
        out.append(child)
        out += _action_steps(child, sources, unread, depth + 1)
    return out


def _called_workflow(step: Step, loaded: set[str], sources: Sources, unread: list[str]
                     ) -> list[Step]:
    """Steps of a local reusable workflow the configured set does not already hold."""
    rel = commands.join("", step.uses.partition("@")[0])
    if not step.uses.startswith("./") or not rel.endswith((".yml", ".yaml")) or rel in loaded:
        return []
    loaded.add(rel)
    text = sources.text(rel)
    if text is None:
        unread.append(f"{step.file}:{step.line} {step.uses}: not in the tree")
        return []
    try:
        called = parse_github(_load_yaml(text, rel, False), rel)
    except ParseError as exc:
        unread.append(str(exc))
        return []
    return [replace(s, job=f"{step.job}/{s.job}") for s in called.steps]


def _resolved(step: Step, sources: Sources) -> Step:
    lines = tuple((c.line, c.text) for c in step.own_commands())
    if step.uses.split("@")[0].lower() == "pre-commit/action":
        lines += ((step.line, "pre-commit run --all-files"),)
    found = commands.resolve(lines, step.file, step.workdir, sources)
    return replace(step, resolved=tuple(found))


def load_pipelines(files: Iterable[tuple[Path, str]], inventory: Inventory) -> list[Pipeline]:
    """Every workflow named (path, rel), with what it calls in the tree followed. A
    workflow that does not parse raises ParseError; what it calls that cannot be read is
    listed in ``Pipeline.unread``."""
    sources = Sources(inventory)
    files = list(files)
    loaded = {rel for _, rel in files}
    pipelines = []
    for path, rel in files:
        if is_gitlab(rel):
            try:
                pipeline = _gitlab_with_includes(path, rel, sources)
            except (OSError, UnicodeDecodeError) as exc:
                raise ParseError(rel, f"cannot read: {exc}") from None
        else:
            pipeline = load_pipeline(path, rel, inventory.reader)
        steps: list[Step] = []
        for step in pipeline.steps:
            steps.append(step)
            steps += _action_steps(step, sources, pipeline.unread)
            for called in _called_workflow(step, loaded, sources, pipeline.unread):
                steps.append(called)
                steps += _action_steps(called, sources, pipeline.unread)
        pipeline.steps = [_resolved(s, sources) for s in steps]
        pipelines.append(pipeline)
    return pipelines
