"""Operations readiness: runbooks and procedures with real content, backups scheduled and
restores tested, high availability, load balancer configuration."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from pytest_readiness import CheckError
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import SourceFile, read_text
from pytest_readiness.plumbing.yamlpos import Located, ParseError, publish
from pytest_readiness.probes.deployment import compose
from pytest_readiness.probes.deployment import ops as opsdocs

pytestmark = pytest.mark.readiness(section="Operations Readiness", category="operations")


def _conclude(readiness, codebase, inventory, located: list[Located], check_id: str,
              what: str) -> None:
    outcome = publish(readiness, located, pyast.lines_of(inventory), codebase.spec.ignore,
                      check_id)
    assert not outcome.errors, f"{len(outcome.errors)} {what}: {outcome.summary(outcome.errors)}"
    if outcome.warnings:
        readiness.warn(f"{len(outcome.warnings)} {what} (warning): "
                       f"{outcome.summary(outcome.warnings)}")


def _docs(codebase, inventory, ctx) -> list[opsdocs.Doc]:
    files = list(inventory.docs)
    seen = {f.rel for f in files}
    for pattern in [*ctx.config.docs.paths, *ctx.config.docs.runbooks]:
        for match in sorted(glob.glob(str(ctx.resolve(pattern)), recursive=True)):
            path = Path(match)
            try:
                rel = path.relative_to(codebase.root).as_posix()
            except ValueError:
                rel = pattern
            if rel not in seen and path.is_file():
                seen.add(rel)
                files.append(SourceFile(path, rel, path.stat().st_size, 0o644))
    return opsdocs.documents(files)


def _document_check(topic: str, check_id: str, codebase, inventory, readiness, ctx) -> None:
    docs = _docs(codebase, inventory, ctx)
    config = ctx.config.docs
    found = opsdocs.topic_sections(docs, topic)
    if topic == "runbook" and config.runbooks:
        found += [d.whole() for d in docs if d.file in config.runbooks]
    section, problem = opsdocs.best(found, config.min_words, config.min_steps)
    readiness.evidence(documents_searched=len(docs),
                       candidates=[f"{s.file}:{s.line} {s.title}".strip() for s in found][:10])
    assert section is not None, (f"no {topic.replace('-', ' ')} document: no file named for it "
                                 "and no section with such a heading")
    readiness.evidence(document=f"{section.file}:{section.line}", words=section.words,
                       steps=section.steps)
    located = [Located(check_id, f"{section.title or section.file}: {problem}", section.file,
                       section.line)] if problem else []
    _conclude(readiness, codebase, inventory, located, check_id, f"{topic} document problem(s)")


@pytest.mark.readiness(id="ops.runbooks", severity="medium",
                       fix="Write runbooks: one section per alert or failure, with the steps "
                           "to diagnose and recover")
def test_runbooks_exist(codebase, inventory, readiness, readiness_context):
    """Runbooks exist with real content (headings and steps, not a stub)."""
    _document_check("runbook", "ops.runbooks", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.incident-response", severity="medium",
                       fix="Document severities, who is on call, escalation and communication")
def test_incident_response_plan(codebase, inventory, readiness, readiness_context):
    """An incident response plan exists with real content."""
    _document_check("incident-response", "ops.incident-response", codebase, inventory,
                    readiness, readiness_context)


@pytest.mark.readiness(id="ops.backup-restore", severity="high",
                       fix="Document what is backed up, where, how often, and the exact "
                           "restore steps")
def test_backup_restore_procedure(codebase, inventory, readiness, readiness_context):
    """A backup and restore procedure exists with real content."""
    _document_check("backup-restore", "ops.backup-restore", codebase, inventory, readiness,
                    readiness_context)


@pytest.mark.readiness(id="ops.rollback", severity="medium",
                       fix="Document how to roll back a release (images, migrations, config)")
def test_rollback_procedure(codebase, inventory, readiness, readiness_context):
    """A rollback procedure exists with real content."""
    _document_check("rollback", "ops.rollback", codebase, inventory, readiness,
                    readiness_context)


@pytest.mark.readiness(id="ops.capacity-planning", severity="low",
                       fix="Document current load, limits found by load tests and when to scale")
def test_capacity_planning(codebase, inventory, readiness, readiness_context):
    """Capacity planning is documented with real content."""
    _document_check("capacity-planning", "ops.capacity-planning", codebase, inventory,
                    readiness, readiness_context)


@pytest.mark.readiness(id="ops.doc-scripts-exist", severity="medium",
                       fix="Commit the script the document refers to, or fix the path")
def test_scripts_referenced_by_docs_exist(codebase, inventory, readiness, readiness_context):
    """Scripts that operations documents tell you to run exist in the tree."""
    docs = _docs(codebase, inventory, readiness_context)
    located, referenced = [], 0
    for topic in opsdocs.TOPICS:
        for section in opsdocs.topic_sections(docs, topic):
            doc_dir = (codebase.root / section.file).parent
            found = opsdocs.missing_scripts(section, codebase.root, doc_dir)
            referenced += len(opsdocs.SCRIPT_REF.findall(section.text))
            located += [f for f in found if f not in located]
    if not referenced:
        pytest.skip("not applicable: no operations document refers to a script")
    readiness.evidence(script_references=referenced)
    _conclude(readiness, codebase, inventory, located, "ops.doc-scripts-exist",
              "missing script(s)")


def _compose_files(codebase, ctx) -> list[compose.ComposeFile]:
    parsed = []
    for artefact in ctx.artefacts("compose"):
        if artefact.codebase.root != codebase.root:
            continue
        try:
            parsed.append(compose.load_file(artefact.path, artefact.rel))
        except ParseError as exc:
            raise CheckError(str(exc)) from None
    return parsed


@pytest.mark.readiness(id="ops.backups-scheduled", severity="high",
                       fix="Schedule backups (cron, a systemd timer or a backup service) and "
                           "commit the schedule")
def test_backups_scheduled(codebase, inventory, readiness, readiness_context):
    """Backups run on a schedule (cron, systemd timer, compose or Kubernetes job)."""
    services = [(s.name, s.image or "", cf.rel, s.line)
                for cf in _compose_files(codebase, readiness_context) for s in cf.services]
    schedules = opsdocs.backup_schedules(inventory) + opsdocs.compose_backup_services(services)
    readiness.evidence(schedules=[f"{s.kind} {s.file}:{s.line} {s.what}" for s in schedules])
    assert schedules, ("no backup schedule found (crontab line, systemd timer, compose backup "
                       "service or CronJob mentioning backup)")


@pytest.mark.readiness(id="ops.restore-tested", severity="medium",
                       fix="Test restores on a schedule and write down how and when")
def test_restore_test_documented(codebase, inventory, readiness, readiness_context):
    """Restoring from backup is tested, and the test is documented."""
    docs = _docs(codebase, inventory, readiness_context)
    found = opsdocs.topic_sections(docs, "backup-restore")
    if not found:
        pytest.skip("not applicable: no backup document (see ops.backup-restore)")
    section = opsdocs.restore_test_documented(found)
    readiness.evidence(backup_documents=sorted({s.file for s in found}))
    assert section is not None, ("the backup documents never describe a restore test ("
                                 + ", ".join(sorted({s.file for s in found})) + ")")
    readiness.evidence(restore_test=f"{section.file}:{section.line}")


@pytest.mark.readiness(id="ops.high-availability", severity="medium", category="resilience",
                       fix="Run two or more replicas of stateless services, or document the "
                           "active-passive failover")
def test_high_availability(codebase, inventory, readiness, readiness_context):
    """Stateless services run more than one instance, or active-passive is documented."""
    files = _compose_files(codebase, readiness_context)
    built = [(cf, s) for cf in files for s in cf.services if s.build is not None]
    if not built:
        pytest.skip("not applicable: no service built from this codebase in a compose file")
    single = []
    for cf, s in built:
        deploy = s.spec.get("deploy") or {}
        replicas = deploy.get("replicas", 1) if isinstance(deploy, dict) else 1
        scale = s.spec.get("scale", 1)
        if max(int(str(replicas)) if str(replicas).isdigit() else 1,
               int(str(scale)) if str(scale).isdigit() else 1) < 2:
            single.append(Located("ops.single-instance", f"service {s.name} runs one instance",
                                  cf.rel, s.line))
    documented = opsdocs.active_passive_documented(_docs(codebase, inventory, readiness_context))
    readiness.evidence(single_instance=[f.message.split()[1] for f in single],
                       active_passive=f"{documented.file}:{documented.line}" if documented
                       else None)
    if documented is not None:
        return
    outcome = publish(readiness, single,
                      lambda rel: _lines(next((cf for cf in files if cf.rel == rel), None)),
                      codebase.spec.ignore, "ops.high-availability")
    assert not outcome.errors, (f"{len(outcome.errors)} single-instance service(s) and no "
                                f"active-passive plan: {outcome.summary(outcome.errors)}")


def _lines(cf: compose.ComposeFile | None) -> list[str]:
    return cf.lines if cf else []


@pytest.mark.readiness(id="ops.load-balancer-config", severity="medium", category="resilience",
                       fix="Fix the load balancer configuration so it parses; give upstreams "
                           "more than one server")
def test_load_balancer_config_parses(codebase, inventory, readiness):
    """Load balancer configs (nginx, HAProxy) parse, and upstreams have servers."""
    files = inventory.matching(opsdocs.is_lb_config)
    if not files:
        pytest.skip("not applicable: no nginx or HAProxy configuration found")
    located, pools = [], {}
    for file in files:
        text = read_text(file) or ""
        parse = opsdocs.haproxy_problems if file.name.endswith(".cfg") else \
            opsdocs.nginx_problems
        found, upstreams = parse(text, file.rel)
        located += found
        pools.update({f"{file.rel}:{name}": count for name, count in upstreams.items()})
        located += [Located("ops.lb-config", f"upstream {name} has {count} server(s): no "
                            "failover", file.rel, None, "warning")
                    for name, count in upstreams.items() if count < 2]
    readiness.evidence(upstreams=pools)
    _conclude(readiness, codebase, inventory, located, "ops.load-balancer-config",
              "load balancer config problem(s)")
