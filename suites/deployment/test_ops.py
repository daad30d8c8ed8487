"""Operations readiness: runbooks and procedures with real content, backups scheduled and
restores tested, high availability, load balancer configuration."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from pytest_readiness import (
    CodebaseTarget,
    Context,
    Finding,
    Level,
    Recorder,
    Role,
)
from pytest_readiness.plumbing.findings import LineSource
from pytest_readiness.plumbing.tree import Inventory, SourceFile
from pytest_readiness.probes.deployment import compose, ops

pytestmark = pytest.mark.readiness(section="Operations Readiness", category="operations")
# Documents are what the document checks audit: their role does not cap those findings.
DOCUMENTS = (Role.DOCUMENTATION,)  # an example's runbook is not the project's: a note


def _docs(codebase: CodebaseTarget, inventory: Inventory, ctx: Context) -> list[ops.Doc]:
    """Every document a procedure may be written in: docs/, ops/, runbooks/, a docs site,
    a README anywhere (ops.is_operations_doc), and the paths readiness.yaml names."""
    docs = {d.rel for d in inventory.docs}  # once: a set per file made this quadratic
    files = [f for f in inventory.files if f.rel in docs or ops.is_operations_doc(f.rel)]
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

    def read(file: SourceFile) -> str | None:
        if inventory.get(file.rel) is file:
            return inventory.text(file)
        try:
            content = ctx.reader_for(file.path).read(file.path)
        except OSError:  # not read: a FIFO, a link out of the tree, too big
            return None
        return None if content.binary else content.text

    # Read and split once per run (eight checks ask; the documents are not changed by them).
    key = ("ops.documents", tuple((f.rel, str(f.path)) for f in files))
    return list(inventory.derive(key, lambda: ops.documents(files, read)))


def _missing_level(ctx: Context) -> Level:
    """What a missing operations document counts as: an error for a system declared a
    deployment; a warning when readiness.yaml does not say what the system is (it may be an
    upstream repository: nothing is inferred, and the finding says how to tell)."""
    return Level.ERROR if ctx.config.system.kind == "deployment" else Level.WARNING


UNDECLARED = ("; readiness.yaml does not say what the system is: set system.kind (deployment: "
              "required, library: not applicable) or docs.elsewhere.{topic}: LINK")


def _kept_elsewhere(topic: str, readiness: Recorder, ctx: Context,
                    docs: list[ops.Doc] | None = None) -> bool:
    """True when the topic's document lives outside the tree: a link in readiness.yaml
    (``docs.elsewhere``) or one found in the tree's documents. The link is the evidence;
    what it points to is not read, and the evidence says so."""
    configured = ctx.config.docs.elsewhere.get(topic)
    if configured:
        readiness.evidence(kept_elsewhere={"link": configured, "from": "readiness.yaml "
                                           f"docs.elsewhere.{topic}", "content": "not read"})
        return True
    links = ops.topic_links(docs, ops.DOC_TOPIC_OF.get(topic, topic)) if docs else []
    if links:
        readiness.evidence(kept_elsewhere={"link": links[0].url, "text": links[0].text,
                                           "from": f"{links[0].file}:{links[0].line}",
                                           "content": "not read"})
        return True
    return False


def _missing(topic: str, said: str, readiness: Recorder, ctx: Context) -> None:
    """End a check whose document (or schedule) was not found, at the level the system's
    kind calls for; undeclared, the result is no evidence that the category was assessed."""
    level = _missing_level(ctx)
    if level != Level.ERROR:
        readiness.not_assessed(f"no {said} found and system.kind is not declared")
        said += UNDECLARED.format(topic=topic)
    readiness.conclude([Finding("", f"no {said}", level=level)],
                       lambda found: found[0].message)


def _document_check(topic: str, codebase: CodebaseTarget, inventory: Inventory,
                    readiness: Recorder, ctx: Context) -> None:
    docs = _docs(codebase, inventory, ctx)
    config = ctx.config.docs
    subject = ops.DOC_TOPIC_OF[topic]
    found = ops.topic_sections(docs, subject)
    if subject == "runbook" and config.runbooks:
        found += [d.whole() for d in docs if d.file in config.runbooks]
    section, problem = ops.best(found, config.min_words, config.min_steps)
    readiness.evidence(documents_searched=len(docs),
                       candidates=[f"{s.file}:{s.line} {s.title}".strip() for s in found][:10])
    if section is None:
        if _kept_elsewhere(topic, readiness, ctx, docs):
            return
        _missing(topic, f"{subject.replace('-', ' ')} document: no file named for it, no "
                        "section with such a heading and no link to one", readiness, ctx)
        return
    readiness.evidence(document=f"{section.file}:{section.line}", words=section.words,
                       steps=section.steps)
    readiness.conclude([Finding("", f"{section.title or section.file}: {problem}", section.file,
                                section.line, level=_missing_level(ctx))] if problem else [],
                       f"{subject} document problem(s)", judged_roles=DOCUMENTS)


@pytest.mark.readiness(id="ops.runbooks", levels=ops.DOCUMENT_LEVELS,
                       severity="medium",
                       fix="Write runbooks: one section per alert or failure, with the steps "
                           "to diagnose and recover")
def test_runbooks_exist(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                        readiness_context: Context) -> None:
    """Runbooks exist with real content (headings and steps, not a stub)."""
    _document_check("runbooks", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.incident-response", levels=ops.DOCUMENT_LEVELS,
                       severity="medium",
                       fix="Document severities, who is on call, escalation and communication")
def test_incident_response_plan(codebase: CodebaseTarget, inventory: Inventory,
                                readiness: Recorder, readiness_context: Context) -> None:
    """An incident response plan exists with real content."""
    _document_check("incident-response", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.backup-restore", levels=ops.DOCUMENT_LEVELS,
                       severity="high",
                       fix="Document what is backed up, where, how often, and the exact "
                           "restore steps")
def test_backup_restore_procedure(codebase: CodebaseTarget, inventory: Inventory,
                                  readiness: Recorder, readiness_context: Context) -> None:
    """A backup and restore procedure exists with real content."""
    _document_check("backup-restore", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.rollback", levels=ops.DOCUMENT_LEVELS,
                       severity="medium",
                       fix="Document how to roll back a release (images, migrations, config)")
def test_rollback_procedure(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                            readiness_context: Context) -> None:
    """A rollback procedure exists with real content."""
    _document_check("rollback", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.capacity-planning", levels=ops.DOCUMENT_LEVELS,
                       severity="low",
                       fix="Document current load, limits found by load tests and when to scale")
def test_capacity_planning(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                           readiness_context: Context) -> None:
    """Capacity planning is documented with real content."""
    _document_check("capacity-planning", codebase, inventory, readiness, readiness_context)


@pytest.mark.readiness(id="ops.doc-scripts-exist", severity="medium",
                       fix="Commit the script the document refers to, or fix the path")
def test_scripts_referenced_by_docs_exist(codebase: CodebaseTarget, inventory: Inventory,
                                          readiness: Recorder,
                                          readiness_context: Context) -> None:
    """Scripts that operations documents tell you to run exist in the tree."""
    docs = _docs(codebase, inventory, readiness_context)
    found: list[Finding] = []
    referenced = 0
    for topic in ops.TOPICS:
        for section in ops.topic_sections(docs, topic):
            doc_dir = (codebase.root / section.file).parent
            missing = ops.missing_scripts(section, codebase.root, doc_dir)
            referenced += len(ops.SCRIPT_REF.findall(section.text))
            found += [f for f in missing if f not in found]
    if not referenced:
        pytest.skip("not applicable: no operations document refers to a script")
    readiness.evidence(script_references=referenced)
    readiness.conclude(found, "missing script(s)", judged_roles=DOCUMENTS)


def _compose_projects(codebase: CodebaseTarget, ctx: Context,
                      readiness: Recorder) -> list[compose.ComposeProject]:
    projects, skipped = ctx.production_compose(codebase)
    if skipped:
        readiness.evidence(compose_not_read=skipped)
    return projects


@pytest.mark.readiness(id="ops.backups-scheduled", levels=ops.SCHEDULE_LEVELS,
                       severity="high",
                       fix="Schedule backups (cron, a systemd timer or a backup service) and "
                           "commit the schedule")
def test_backups_scheduled(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                           readiness_context: Context) -> None:
    """Backups run on a schedule (cron, systemd timer, compose or Kubernetes job)."""
    services = [(s.name, s.image or "", s.file, s.line)
                for cp in _compose_projects(codebase, readiness_context, readiness)
                for s in cp.services]
    schedules = ops.backup_schedules(inventory) + ops.compose_backup_services(services)
    readiness.evidence(schedules=[f"{s.kind} {s.file}:{s.line} {s.what}" for s in schedules])
    if schedules or _kept_elsewhere("backups-scheduled", readiness, readiness_context):
        return
    _missing("backups-scheduled", "backup schedule (crontab line, systemd timer, compose "
             "backup service or CronJob mentioning backup)", readiness, readiness_context)


@pytest.mark.readiness(id="ops.restore-tested", severity="medium",
                       fix="Test restores on a schedule and write down how and when")
def test_restore_test_documented(codebase: CodebaseTarget, inventory: Inventory,
                                 readiness: Recorder, readiness_context: Context) -> None:
    """Restoring from backup is tested, and the test is documented."""
    if _kept_elsewhere("restore-tested", readiness, readiness_context):
        return
    docs = _docs(codebase, inventory, readiness_context)
    found = ops.topic_sections(docs, "backup-restore")
    if not found:
        pytest.skip("not applicable: no backup document (see ops.backup-restore)")
    section = ops.restore_test_documented(found)
    readiness.evidence(backup_documents=sorted({s.file for s in found}))
    assert section is not None, ("the backup documents never describe a restore test ("
                                 + ", ".join(sorted({s.file for s in found})) + ")")
    readiness.evidence(restore_test=f"{section.file}:{section.line}")


@pytest.mark.readiness(id="ops.high-availability", levels=ops.AVAILABILITY_LEVELS,
                       severity="medium", category="resilience",
                       fix="Run two or more replicas of stateless services, or document the "
                           "active-passive failover")
def test_high_availability(codebase: CodebaseTarget, inventory: Inventory, readiness: Recorder,
                           readiness_context: Context) -> None:
    """Stateless services run more than one instance, or active-passive is documented."""
    files = _compose_projects(codebase, readiness_context, readiness)
    built = [s for cp in files for s in cp.services if s.build is not None]
    if not built:
        pytest.skip("not applicable: no service built from this codebase in a compose file")
    single = ops.single_instance_findings(built)
    documented = ops.active_passive_documented(_docs(codebase, inventory, readiness_context))
    readiness.evidence(single_instance=[f.message.split()[1] for f in single],
                       active_passive=f"{documented.file}:{documented.line}" if documented
                       else None)
    if documented is not None:
        return
    readiness.conclude(single, "single-instance service(s) and no active-passive plan",
                       lines=_compose_lines(files))


def _compose_lines(files: list[compose.ComposeProject]) -> LineSource:
    def lines(rel: str) -> list[str]:
        return next((cp.lines(rel) for cp in files if rel in cp.model.texts), [])
    return lines


@pytest.mark.readiness(id="ops.load-balancer-config", levels=ops.BALANCER_LEVELS,
                       severity="medium", category="resilience",
                       fix="Fix the load balancer configuration so it parses; give upstreams "
                           "more than one server")
def test_load_balancer_config_parses(inventory: Inventory, readiness: Recorder) -> None:
    """Load balancer configs (nginx, HAProxy) parse, and upstreams have servers."""
    files = inventory.matching(ops.is_lb_config)
    if not files:
        pytest.skip("not applicable: no nginx or HAProxy configuration found")
    found: list[Finding] = []
    pools = {}
    for file in files:
        text = inventory.text(file) or ""
        parse = ops.haproxy_problems if file.name.endswith(".cfg") else ops.nginx_problems
        problems, upstreams = parse(text, file.rel)
        found += problems
        pools.update({f"{file.rel}:{name}": count for name, count in upstreams.items()})
        found += ops.upstream_findings(upstreams, file.rel)
    readiness.evidence(upstreams=pools)
    readiness.conclude(found, "load balancer config problem(s)")

