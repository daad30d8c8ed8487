"""Contracts: proto copies in sync, stubs match their protos, no breaking changes, env vars."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from pytest_readiness import (
    CheckError,
    CodebaseTarget,
    Context,
    Finding,
    ProtoGroup,
    Recorder,
    Role,
)
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment.contracts import envvars, imagevars, proto
from pytest_readiness.recorder import file_lines

pytestmark = pytest.mark.readiness(section="Contracts", category="deployment")


def _compile(path: Path, rel: str, ctx: Context) -> proto.Shape:
    includes = [ctx.resolve(p) for p in ctx.config.contracts.include]
    try:
        return proto.shape_of(proto.compile_proto(path, rel, includes,
                                                  ctx.config.contracts.timeout,
                                                  ctx.reader_for(path)))
    except ParseError as exc:
        raise CheckError(str(exc)) from None


def _compare_copies(readiness: Recorder, ctx: Context, paths: dict[str, Path]) -> None:
    rels = list(paths)
    shapes = {rel: _compile(paths[rel], rel, ctx) for rel in rels}
    reference = shapes[rels[0]]
    found: list[Finding] = []
    drift: dict[str, int] = {}
    for rel in rels[1:]:
        diffs = proto.differences(reference, shapes[rel])
        drift[rel] = len(diffs)
        found += proto.locate(diffs, shapes[rel], rel, "", reference)
    readiness.evidence(reference=rels[0], copies=rels[1:], differences=drift,
                       messages=sorted(reference.messages))
    readiness.conclude(found, f"difference(s) from {rels[0]}", lines=file_lines(paths, ctx))


@pytest.mark.readiness(id="contracts.proto-copies", severity="high",
                       fix="Keep one source .proto and generate or copy it in CI; make the "
                           "drifted copy identical in messages, fields, numbers and types")
def test_proto_copies_match(proto_group: ProtoGroup, readiness: Recorder,
                            readiness_context: Context) -> None:
    """Copies of the same .proto declare the same messages, fields, types and services."""
    _compare_copies(readiness, readiness_context,
                    dict(zip(proto_group.rels, proto_group.paths, strict=True)))


@pytest.mark.readiness(id="contracts.proto-copies-found", severity="high",
                       fix="Keep one source .proto and generate or copy it in CI; list the "
                           "copies under protos: in readiness.yaml")
def test_discovered_proto_copies_match(inventory: Inventory, readiness: Recorder,
                                       readiness_context: Context) -> None:
    """Same-named .proto files in the codebase (copies) are semantically identical."""
    if readiness_context.config.protos:
        pytest.skip("not applicable: proto groups are configured (see contracts.proto-copies)")
    by_name: dict[str, dict[str, Path]] = defaultdict(dict)
    for f in inventory.protos:
        by_name[f.name][f.rel] = f.path
    groups = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if not groups:
        pytest.skip("not applicable: no .proto file has a copy in this codebase")
    for paths in groups.values():
        _compare_copies(readiness, readiness_context, paths)


@pytest.mark.readiness(id="contracts.stubs-match", severity="high",
                       fix="Regenerate the stubs from the .proto (and check that in CI)")
def test_generated_stubs_match_protos(inventory: Inventory, readiness: Recorder,
                                      readiness_context: Context) -> None:
    """Generated _pb2.py / .pb.go stubs declare what their .proto declares."""
    stubs = [f for f in inventory.files if proto.is_stub(f.rel)]
    if not stubs:
        pytest.skip("not applicable: no generated protobuf stubs found")
    protos = {f.rel: f.path for f in inventory.protos}
    found: list[Finding] = []
    checked, orphans = {}, []
    for stub in stubs:
        try:
            parsed = pyast.module(inventory, stub) if stub.rel.endswith(".py") else None
            tree = parsed.tree if parsed is not None and parsed.parsed_by == "python" else None
            fdp = proto.stub_descriptor(inventory.text(stub) or "", stub.rel, tree)
        except ParseError as exc:
            found.append(Finding("", exc.problem, stub.rel, exc.line))
            continue
        if fdp is None:
            continue
        sources = proto.sources_of(fdp.name, protos, stub.rel)
        if not sources:
            orphans.append(stub.rel)
            continue
        # Copies of a proto may have drifted (contracts.proto-copies says so): the stub is
        # compared with the copy it matches best, nearest first on a tie.
        stub_shape = proto.shape_of(fdp)
        source, diffs = min(((s, proto.differences(_compile(protos[s], s, readiness_context),
                                                   stub_shape)) for s in sources),
                            key=lambda pair: len(pair[1]))
        checked[stub.rel] = {"proto": source, "differences": len(diffs)}
        found += [Finding("", f"stale stub: {d.message}", stub.rel) for d in diffs]
    readiness.evidence(stubs=checked, stubs_without_proto=orphans)
    # Stubs are generated code: what this check audits, so their role does not cap it.
    readiness.conclude(found, "stale stub difference(s)", judged_roles=(Role.GENERATED,))


@pytest.mark.readiness(id="contracts.breaking-changes", severity="critical",
                       fix="Restore the field (or reserve its number and name), never reuse or "
                           "renumber fields; version the API for incompatible changes")
def test_no_breaking_proto_changes(codebase: CodebaseTarget, inventory: Inventory,
                                   readiness: Recorder, readiness_context: Context) -> None:
    """No field removed, renumbered or retyped since the configured base git ref."""
    ref = readiness_context.config.contracts.base_ref
    if not ref:
        pytest.skip("not applicable: contracts.base_ref is not configured")
    if not inventory.protos:
        pytest.skip("not applicable: no .proto files in this codebase")
    timeout = readiness_context.config.contracts.timeout
    rels = [f.rel for f in inventory.protos]
    found: list[Finding] = []
    compared, new = [], []
    for f in inventory.protos:
        try:
            old_text = proto.file_at_ref(codebase.root, f.rel, ref, timeout)
            if old_text is None:
                new.append(f.rel)
                continue
            old = proto.shape_of(proto.compile_old_version(codebase.root, f.rel, old_text, rels,
                                                           timeout, inventory.reader))
        except ParseError as exc:
            raise CheckError(f"{exc} (at {ref})") from None
        current = _compile(f.path, f.rel, readiness_context)
        compared.append(f.rel)
        found += proto.locate(proto.breaking_changes(old, current), current, f.rel, "")
    readiness.evidence(base_ref=ref, compared=compared, new_files=new)
    readiness.conclude(found, f"breaking change(s) since {ref}")


def _deployment_env(codebase: CodebaseTarget, inventory: Inventory, ctx: Context,
                    readiness: Recorder) -> list[envvars.EnvSet]:
    projects, skipped = ctx.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    return (envvars.compose_sets(list(projects)) + envvars.template_sets(inventory)
            + envvars.unit_sets(inventory))


@pytest.mark.readiness(id="contracts.env-provided", severity="high",
                       fix="Provide the variable in the compose environment (as ${VAR}) and "
                           "in .env.example, or give it a safe default in the code")
def test_required_env_vars_provided(codebase: CodebaseTarget, inventory: Inventory,
                                    readiness: Recorder, readiness_context: Context) -> None:
    """Environment variables the code reads without a default are provided by the deployment."""
    provided = _deployment_env(codebase, inventory, readiness_context, readiness)
    if not provided:
        pytest.skip("not applicable: no compose environment, .env template or unit "
                    "Environment= found")
    reads = envvars.code_reads(inventory)
    absent = envvars.missing(reads, provided)
    readiness.evidence(required=sorted({r.name for r in reads if not r.has_default}),
                       provided=sorted({p.name for p in provided}),
                       missing=sorted({r.name for r in absent}))
    readiness.conclude([*envvars.missing_findings(absent), *pyast.not_analysed(inventory)],
                       "required variable(s) not provided",
                       warning=pyast.said("required variable(s) not provided (warning)"))


@pytest.mark.readiness(id="contracts.env-unused", severity="low",
                       fix="Remove the variable from the deployment, or wire it into the code")
def test_deployment_env_vars_are_read(codebase: CodebaseTarget, inventory: Inventory,
                                      readiness: Recorder, readiness_context: Context) -> None:
    """Variables the deployment sets for this code are read by the code."""
    provided = _deployment_env(codebase, inventory, readiness_context, readiness)
    if not provided:
        pytest.skip("not applicable: no compose environment, .env template or unit "
                    "Environment= found")
    projects, _ = readiness_context.production_compose(codebase)
    others = envvars.other_reads(inventory)
    consumed = envvars.interpolated_names(
        [text for p in projects for text in p.model.texts.values()]) | {
        r.name for r in others} | envvars.named_in_code(inventory)
    patterns = imagevars.consumed_by(envvars.project_images(list(projects)))
    extra = envvars.unused(envvars.code_reads(inventory), provided, consumed, patterns)
    readiness.evidence(unused=sorted({s.name for s in extra}),
                       read_by_other_languages=sorted({f"{r.name} ({r.how})" for r in others
                                                       if r.name in {p.name for p in provided}}),
                       consumed_by_images=list(patterns))
    readiness.conclude([*envvars.unused_findings(extra), *pyast.not_analysed(inventory)],
                       "variable(s) set but never read",
                       warning=pyast.said("variable(s) set but never read"))


def _text(path: Path, ctx: Context) -> str:
    try:
        return ctx.reader_for(path).text(path)
    except OSError:  # not read (a FIFO, a link out of the tree, too big, not UTF-8)
        return ""
