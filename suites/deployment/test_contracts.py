"""Contracts: proto copies in sync, stubs match their protos, no breaking changes, env vars."""

from __future__ import annotations

from collections import defaultdict

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import read_text
from pytest_readiness.plumbing.yamlpos import Located, ParseError, publish
from pytest_readiness.probes.deployment import compose
from pytest_readiness.probes.deployment.contracts import envvars, proto

pytestmark = pytest.mark.readiness(section="Contracts", category="deployment")


def _conclude(readiness, lines_of, located: list[Located], ignores, check_id: str,
              what: str) -> None:
    outcome = publish(readiness, located, lines_of, ignores, check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


def _file_lines(paths: dict[str, object]):
    def lines_of(rel: str) -> list[str]:
        path = paths.get(rel)
        try:
            return path.read_text(encoding="utf-8").splitlines() if path else []
        except (OSError, UnicodeDecodeError):
            return []
    return lines_of


def _compile(path, rel, ctx) -> proto.Shape:
    includes = [ctx.resolve(p) for p in ctx.config.contracts.include]
    try:
        return proto.shape_of(proto.compile_proto(path, rel, includes,
                                                  ctx.config.contracts.timeout))
    except ParseError as exc:
        raise CheckError(str(exc)) from None


def _compare_copies(readiness, ctx, paths: dict[str, object], ignores, check_id: str) -> None:
    rels = list(paths)
    shapes = {rel: _compile(paths[rel], rel, ctx) for rel in rels}
    reference = shapes[rels[0]]
    located: list[Located] = []
    drift: dict[str, int] = {}
    for rel in rels[1:]:
        diffs = proto.differences(reference, shapes[rel])
        drift[rel] = len(diffs)
        located += proto.locate(diffs, shapes[rel], rel, "contracts.proto-drift", reference)
    readiness.evidence(reference=rels[0], copies=rels[1:], differences=drift,
                       messages=sorted(reference.messages))
    _conclude(readiness, _file_lines(paths), located, ignores, check_id,
              f"difference(s) from {rels[0]}")


@pytest.mark.readiness(id="contracts.proto-copies", severity="high",
                       fix="Keep one source .proto and generate or copy it in CI; make the "
                           "drifted copy identical in messages, fields, numbers and types")
def test_proto_copies_match(proto_group, readiness, readiness_context):
    """Copies of the same .proto declare the same messages, fields, types and services."""
    paths = dict(zip(proto_group.rels, proto_group.paths, strict=True))
    _compare_copies(readiness, readiness_context, paths, (), "contracts.proto-copies")


@pytest.mark.readiness(id="contracts.proto-copies-found", severity="high",
                       fix="Keep one source .proto and generate or copy it in CI; list the "
                           "copies under protos: in readiness.yaml")
def test_discovered_proto_copies_match(codebase, inventory, readiness, readiness_context):
    """Same-named .proto files in the codebase (copies) are semantically identical."""
    if readiness_context.config.protos:
        pytest.skip("not applicable: proto groups are configured (see contracts.proto-copies)")
    by_name: dict[str, dict[str, object]] = defaultdict(dict)
    for f in inventory.protos:
        by_name[f.name][f.rel] = f.path
    groups = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if not groups:
        pytest.skip("not applicable: no .proto file has a copy in this codebase")
    for paths in groups.values():
        _compare_copies(readiness, readiness_context, paths, codebase.spec.ignore,
                        "contracts.proto-copies-found")


@pytest.mark.readiness(id="contracts.stubs-match", severity="high",
                       fix="Regenerate the stubs from the .proto (and check that in CI)")
def test_generated_stubs_match_protos(codebase, inventory, readiness, readiness_context):
    """Generated _pb2.py / .pb.go stubs declare what their .proto declares."""
    stubs = [f for f in inventory.files if proto.is_stub(f.rel)]
    if not stubs:
        pytest.skip("not applicable: no generated protobuf stubs found")
    protos = {f.rel: f.path for f in inventory.protos}
    located: list[Located] = []
    checked, orphans = {}, []
    for stub in stubs:
        try:
            fdp = proto.stub_descriptor(read_text(stub) or "", stub.rel)
        except ParseError as exc:
            located.append(Located("contracts.stub-drift", exc.problem, stub.rel, exc.line))
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
        located += [Located("contracts.stub-drift", f"stale stub: {d.message}",
                            stub.rel, None) for d in diffs]
    readiness.evidence(stubs=checked, stubs_without_proto=orphans)
    _conclude(readiness, pyast.lines_of(inventory), located, codebase.spec.ignore,
              "contracts.stubs-match", "stale stub difference(s)")


@pytest.mark.readiness(id="contracts.breaking-changes", severity="critical",
                       fix="Restore the field (or reserve its number and name), never reuse or "
                           "renumber fields; version the API for incompatible changes")
def test_no_breaking_proto_changes(codebase, inventory, readiness, readiness_context):
    """No field removed, renumbered or retyped since the configured base git ref."""
    ref = readiness_context.config.contracts.base_ref
    if not ref:
        pytest.skip("not applicable: contracts.base_ref is not configured")
    if not inventory.protos:
        pytest.skip("not applicable: no .proto files in this codebase")
    timeout = readiness_context.config.contracts.timeout
    rels = [f.rel for f in inventory.protos]
    located, compared, new = [], [], []
    for f in inventory.protos:
        try:
            old_text = proto.file_at_ref(codebase.root, f.rel, ref, timeout)
            if old_text is None:
                new.append(f.rel)
                continue
            old = proto.shape_of(proto.compile_old_version(codebase.root, f.rel, old_text, rels,
                                                           timeout))
        except ParseError as exc:
            raise CheckError(f"{exc} (at {ref})") from None
        current = _compile(f.path, f.rel, readiness_context)
        compared.append(f.rel)
        located += proto.locate(proto.breaking_changes(old, current), current, f.rel,
                                "contracts.breaking-change")
    readiness.evidence(base_ref=ref, compared=compared, new_files=new)
    _conclude(readiness, pyast.lines_of(inventory), located, codebase.spec.ignore,
              "contracts.breaking-changes", f"breaking change(s) since {ref}")


def _deployment_env(codebase, inventory, readiness_context) -> list[envvars.EnvSet]:
    parsed = []
    for artefact in readiness_context.artefacts("compose"):
        if artefact.codebase.root != codebase.root:
            continue
        try:
            parsed.append((inventory.get(artefact.rel) or artefact,
                           compose.load_file(artefact.path, artefact.rel)))
        except ParseError as exc:
            raise CheckError(str(exc)) from None
    return (envvars.compose_sets(parsed, codebase.root) + envvars.template_sets(inventory)
            + envvars.unit_sets(inventory))


@pytest.mark.readiness(id="contracts.env-provided", severity="high",
                       fix="Provide the variable in the compose environment (as ${VAR}) and "
                           "in .env.example, or give it a safe default in the code")
def test_required_env_vars_provided(codebase, inventory, readiness, readiness_context):
    """Environment variables the code reads without a default are provided by the deployment."""
    provided = _deployment_env(codebase, inventory, readiness_context)
    if not provided:
        pytest.skip("not applicable: no compose environment, .env template or unit "
                    "Environment= found")
    reads = envvars.code_reads(inventory)
    absent = envvars.missing(reads, provided)
    readiness.evidence(required=sorted({r.name for r in reads if not r.has_default}),
                       provided=sorted({p.name for p in provided}),
                       missing=sorted({r.name for r in absent}))
    located = [Located("contracts.env-missing", f"{r.name} is read ({r.how}, no default) but "
                       "no deployment artefact provides it", r.file, r.line) for r in absent]
    _conclude(readiness, pyast.lines_of(inventory), located, codebase.spec.ignore,
              "contracts.env-provided", "required variable(s) not provided")


@pytest.mark.readiness(id="contracts.env-unused", severity="low",
                       fix="Remove the variable from the deployment, or wire it into the code")
def test_deployment_env_vars_are_read(codebase, inventory, readiness, readiness_context):
    """Variables the deployment sets for this code are read by the code."""
    provided = _deployment_env(codebase, inventory, readiness_context)
    if not provided:
        pytest.skip("not applicable: no compose environment, .env template or unit "
                    "Environment= found")
    consumed = envvars.interpolated_names(
        [read_text_or_empty(a.path) for a in readiness_context.artefacts("compose")
         if a.codebase.root == codebase.root])
    extra = envvars.unused(envvars.code_reads(inventory), provided, consumed)
    readiness.evidence(unused=sorted({s.name for s in extra}))
    located = [Located("contracts.env-unused", f"{s.name} is set ({s.source}) but no code "
                       "reads it", s.file, s.line, "warning") for s in extra]
    _conclude(readiness, pyast.lines_of(inventory), located, codebase.spec.ignore,
              "contracts.env-unused", "variable(s) set but never read")


def read_text_or_empty(path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
