"""Operations readiness from the tree: documents with real content, backup schedules,
high availability and load balancer configs.

Markdown is split into sections at its ATX headings (``#`` .. ``######``,
fenced code ignored); a document "has real content" when the section for a
topic has enough words and steps (list items or command lines) and is not a
TODO stub. No pytest here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.tree import Inventory, SourceFile, read_text
from pytest_readiness.probes.deployment.compose import Service
from pytest_readiness.vocabulary import Level

TOPICS: dict[str, re.Pattern[str]] = {
    "runbook": re.compile(r"(?i)run-?books?|play-?books?|operations? (manual|guide)"),
    "incident-response": re.compile(r"(?i)incident|on-?call|escalation|post-?mortem"),
    "backup-restore": re.compile(r"(?i)backups?|restor(e|ing)|disaster recovery"),
    "rollback": re.compile(r"(?i)roll-?\s?backs?|rolling back"),
    "capacity-planning": re.compile(r"(?i)capacity|sizing|load test|scaling plan"),
}
DOCUMENT_LEVELS = (
    RuleLevel("", Level.ERROR, "system.kind is deployment and no document is found (in the "
                               "tree, linked from it, or in docs.elsewhere), or the best is a "
                               "stub"),
    RuleLevel("", Level.WARNING, "the same when system.kind is not declared (then the result "
                                 "is no evidence that operations were assessed)"))
SCHEDULE_LEVELS = (
    RuleLevel("", Level.ERROR, "system.kind is deployment and no backup schedule is found (or "
                               "linked in docs.elsewhere)"),
    RuleLevel("", Level.WARNING, "the same when system.kind is not declared"))
AVAILABILITY_LEVELS = (
    RuleLevel("", Level.WARNING, "a service built from the code runs one instance and no "
                                 "active-passive plan is written down"),)
BALANCER_LEVELS = (
    RuleLevel("", Level.ERROR, "a load balancer configuration does not parse"),
    RuleLevel("", Level.WARNING, "an upstream or backend has fewer than two servers"))

# readiness.yaml's docs.elsewhere topics (the ops.* check names) -> the TOPICS they search.
DOC_TOPIC_OF = {"runbooks": "runbook", "incident-response": "incident-response",
                "backup-restore": "backup-restore", "rollback": "rollback",
                "capacity-planning": "capacity-planning"}
STUB = re.compile(r"(?i)\b(todo|tbd|tbc|coming soon|lorem ipsum|to be written|fill me in|"
                  r"placeholder)\b")
STEP = re.compile(r"^\s*(\d+[.)]|[-*+])\s+\S")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
SCRIPT_REF = re.compile(r"(?<![\w/.-])((?:\./)?(?:[\w.-]+/)*[\w.-]+\.(?:sh|py|bash))(?![\w/-])")
RESTORE_TEST = re.compile(r"(?i)(restore (test|drill|rehearsal|verification|check)|"
                          r"test(ing|ed)? (the |a |each )?restore|verif(y|ied|ication of) "
                          r"(the |a )?restore|restore\b.{0,60}\b(weekly|monthly|quarterly|"
                          r"every))")
ACTIVE_PASSIVE = re.compile(r"(?i)(active[-/ ]passive|fail-?over|hot standby|warm standby|"
                            r"standby (node|server|replica))")


@dataclass
class Section:
    file: str
    title: str
    level: int
    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)

    @property
    def steps(self) -> int:
        in_code = False
        count = 0
        for line in self.lines:
            if line.strip().startswith(("```", "~~~")):
                in_code = not in_code
                continue
            if (in_code and line.strip() and not line.strip().startswith("#")) or \
                    STEP.match(line):
                count += 1
        return count

    @property
    def body_line(self) -> int:
        """The file line of ``lines[0]`` (a titled section's body starts below its heading)."""
        return self.line + 1 if self.level else self.line

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def sections(text: str, file: str) -> list[Section]:
    """The document split at its headings; text before the first heading is a section too."""
    out = [Section(file, "", 0, 1)]
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match:
            out.append(Section(file, match[2], len(match[1]), number))
        else:
            out[-1].lines.append(line)
    return [s for s in out if s.title or any(line.strip() for line in s.lines)]


def with_subsections(all_sections: list[Section], index: int) -> Section:
    """A section plus everything under it, down to the next heading of its level or above."""
    head = all_sections[index]
    merged = Section(head.file, head.title, head.level, head.line, list(head.lines))
    for nxt in all_sections[index + 1:]:
        if head.level and nxt.level <= head.level:
            break
        merged.lines += [f"{'#' * nxt.level} {nxt.title}", *nxt.lines]
    return merged


@dataclass
class Doc:
    file: str
    path: Path
    sections: list[Section]

    def whole(self) -> Section:
        lines: list[str] = []
        for s in self.sections:
            if s.title:
                lines.append(f"{'#' * s.level} {s.title}")
            lines += s.lines
        return Section(self.file, self.sections[0].title if self.sections else "", 0, 1, lines)


def documents(files: Iterable[SourceFile],
              read: Callable[[SourceFile], str | None] = read_text) -> list[Doc]:
    """The documents among ``files``, each read with ``read`` (the codebase index's
    ``Inventory.text``; by default a bounded read of a file outside any index)."""
    out = []
    for file in files:
        if not file.rel.lower().endswith((".md", ".markdown", ".rst", ".txt")):
            continue
        text = read(file)
        if text is not None:
            out.append(Doc(file.rel, file.path, sections(text, file.rel)))
    return out


# Where a team keeps operations documents besides docs/: any Markdown, reStructuredText or
# AsciiDoc file of the tree (ops/, runbooks/, a docs site's website/docs/, a deploy/README.md),
# apart from tests, examples, vendored code and the files no procedure lives in.
PROSE = (".md", ".markdown", ".rst", ".adoc")
NOT_PROCEDURES = re.compile(r"(?i)^(changelog|changes|history|release[-_ ]?notes|news|license|"
                            r"licence|notice|authors|contributors|code[-_]of[-_]conduct|"
                            r"security|third[-_]party)")
NOT_OPERATIONS_DIRS = frozenset({"tests", "test", "testing", "fixtures", "testdata",
                                 "__tests__", "spec", "examples", "example", "vendor",
                                 "third_party", "third-party", "node_modules"})


def is_operations_doc(rel: str) -> bool:
    """A document an operations procedure may live in, wherever the team keeps it."""
    parts = rel.split("/")
    name = parts[-1]
    if not name.lower().endswith(PROSE) or NOT_PROCEDURES.match(name):
        return False
    return not any(part.lower() in NOT_OPERATIONS_DIRS for part in parts[:-1])


@dataclass(frozen=True)
class Link:
    """A link to a document kept outside the tree (a wiki page, a runbook tool)."""

    file: str
    line: int
    text: str
    url: str


LINK = re.compile(r"\[(?P<text>[^\]\n]{1,200})\]\((?P<url>https?://[^)\s]+)\)|"
                  r"<(?P<auto>https?://[^>\s]+)>")


def topic_links(docs: list[Doc], topic: str) -> list[Link]:
    """Links to outside documents on a topic, found by the link's text or its address
    (``[Runbooks](https://wiki.example.com/ops/runbooks)``)."""
    pattern = TOPICS[topic]
    found = []
    for doc in docs:
        for section in doc.sections:
            for offset, line in enumerate(section.lines):
                for match in LINK.finditer(line):
                    url = match["url"] or match["auto"]
                    words = url.split("://", 1)[1].split("/", 1)[-1]
                    words = re.sub(r"[-_/.+]", " ", words)
                    if pattern.search(match["text"] or "") or pattern.search(words):
                        found.append(Link(doc.file, section.body_line + offset,
                                          (match["text"] or url).strip(), url))
    return found


def topic_sections(docs: list[Doc], topic: str) -> list[Section]:
    """Where a topic is written down: whole files named for it, or sections titled for it."""
    pattern = TOPICS[topic]
    found = []
    for doc in docs:
        if pattern.search(doc.file.rsplit("/", 1)[-1].replace("_", " ").replace("-", " ")) or \
                pattern.search(doc.file.rsplit("/", 1)[-1]):
            found.append(doc.whole())
            continue
        for index, section in enumerate(doc.sections):
            if section.title and pattern.search(section.title):
                found.append(with_subsections(doc.sections, index))
    return found


def content_problem(section: Section, min_words: int, min_steps: int) -> str | None:
    """Why a document section is a stub rather than a usable procedure."""
    words, steps = section.words, section.steps
    if words < min_words:
        return f"only {words} words (a stub; at least {min_words} expected)"
    if steps < min_steps:
        return f"only {steps} steps (numbered/bulleted items or commands; {min_steps} expected)"
    stubs = len(STUB.findall(section.text))
    if stubs and stubs * 40 > words:
        return f"mostly placeholders ({stubs} TODO/TBD markers in {words} words)"
    return None


def best(found: list[Section], min_words: int, min_steps: int) -> tuple[Section | None,
                                                                         str | None]:
    """The most complete section on a topic, and its problem (None: good enough)."""
    if not found:
        return None, None
    ranked = sorted(found, key=lambda s: (content_problem(s, min_words, min_steps) is None,
                                          s.steps, s.words), reverse=True)
    return ranked[0], content_problem(ranked[0], min_words, min_steps)


def script_bases(root: Path, doc_dir: Path) -> list[Path]:
    """Where a reader looks for ``scripts/x.sh`` named in a document: beside the
    document, then in each directory above it up to the audited root (a doc in
    ``examples/shop/docs/`` means ``examples/shop/scripts/x.sh``)."""
    bases = [doc_dir]
    for parent in doc_dir.parents:
        if parent == root or root in parent.parents:
            bases.append(parent)
    return bases if root in bases else [*bases, root]


def missing_scripts(section: Section, root: Path, doc_dir: Path) -> list[Finding]:
    """Scripts a document tells the reader to run that are not in the tree."""
    out = []
    seen: set[str] = set()
    bases = script_bases(root, doc_dir)
    for offset, line in enumerate(section.lines):
        for match in SCRIPT_REF.finditer(line):
            ref = match[1]
            if ref in seen or ref.startswith(("http", "/")) or "/" not in ref and \
                    not ref.startswith("./"):
                continue
            seen.add(ref)
            if not any((base / ref).exists() for base in bases):
                out.append(Finding("", f"{section.file} refers to {ref}, which "
                                   "does not exist", section.file, section.body_line + offset))
    return out


# --- backups ------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    kind: str  # cron | systemd-timer | compose | kubernetes
    file: str
    line: int
    what: str


def backup_schedules(inventory: Inventory) -> list[Schedule]:
    """Backups that run on a schedule: crontabs, systemd timers, compose or k8s jobs."""
    found: list[Schedule] = []
    by_rel = {f.rel: f for f in inventory.files}
    for file in inventory.files:
        name = file.name.lower()
        rel = file.rel.lower()
        if name.endswith((".yml", ".yaml")):
            text = inventory.text(file) or ""
            if "backup" in rel and re.search(r"(?m)^kind:\s*CronJob", text):
                found.append(Schedule("kubernetes", file.rel, 1, "CronJob"))
        elif "cron" in rel and not name.endswith((".md", ".py")):
            text = inventory.text(file) or ""
            for number, line in enumerate(text.splitlines(), start=1):
                if "backup" in line.lower() and not line.lstrip().startswith("#") and \
                        re.match(r"^\s*([@\d*]|\w+=)", line):
                    found.append(Schedule("cron", file.rel, number, line.strip()[:100]))
        elif name.endswith(".timer"):
            service = by_rel.get(file.rel[: -len(".timer")] + ".service")
            service_text = inventory.text(service) if service else ""
            if "backup" in name or "backup" in (service_text or "").lower():
                found.append(Schedule("systemd-timer", file.rel, 1, file.name))
    return found


def compose_backup_services(services: Iterable[tuple[str, str, str, int]]) -> list[Schedule]:
    """(name, image, compose file, line) of services that run backups on a schedule."""
    return [Schedule("compose", file, line, f"service {name} ({image})")
            for name, image, file, line in services
            if "backup" in name.lower() or "backup" in image.lower()]


def restore_test_documented(found: list[Section]) -> Section | None:
    return next((s for s in found if RESTORE_TEST.search(s.text) or
                 RESTORE_TEST.search(s.title)), None)


def active_passive_documented(docs: list[Doc]) -> Section | None:
    for doc in docs:
        for index, section in enumerate(doc.sections):
            if ACTIVE_PASSIVE.search(section.title):
                return with_subsections(doc.sections, index)
    return None


# --- load balancers ------------------------------------------------------------------


def single_instance_findings(built: Iterable[Service]) -> list[Finding]:
    """Services built from the code that run one instance (no replicas, no scale)."""
    single = []
    seen = set()
    for s in built:
        if (s.name, s.file) in seen:
            continue  # the same service in several variants of a project
        seen.add((s.name, s.file))
        deploy = s.spec.get("deploy") or {}
        replicas = deploy.get("replicas", 1) if isinstance(deploy, dict) else 1
        scale = s.spec.get("scale", 1)
        if max(int(str(replicas)) if str(replicas).isdigit() else 1,
               int(str(scale)) if str(scale).isdigit() else 1) < 2:
            # one instance may be the design (active-passive elsewhere, a small system):
            # a warning for a reviewer, an error under restricted
            single.append(Finding("", f"service {s.name} runs one instance", s.file, s.line,
                                  level=Level.WARNING))
    return single


def upstream_findings(upstreams: dict[str, int], rel: str) -> list[Finding]:
    """Load balancer upstreams with fewer than two servers: no failover (a warning)."""
    return [Finding("", f"upstream {name} has {count} server(s): no failover", rel, None,
                    level=Level.WARNING) for name, count in upstreams.items() if count < 2]


def is_lb_config(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name == "haproxy.cfg" or name == "nginx.conf" or (
        name.endswith(".conf") and ("nginx" in rel or "conf.d/" in rel))


def nginx_problems(text: str, rel: str) -> tuple[list[Finding], dict[str, int]]:
    """Braces balance, directives end with ';'; upstreams and their server counts."""
    out: list[Finding] = []
    depth = 0
    upstreams: dict[str, int] = {}
    current: str | None = None
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"#.*$", "", raw).strip()
        if not line:
            continue
        if pending and not line.startswith(("{", ";")) and not pending[1].endswith(","):
            out.append(Finding("", f"directive '{pending[1][:40]}' does not end "
                               "with ';'", rel, pending[0]))
        pending = None
        upstream = re.match(r"^upstream\s+(\S+)\s*\{", line)
        servers = re.compile(r"(?:^|[;{])\s*server\s+[^;{}]+;")
        if upstream:
            current = upstream[1]
            upstreams[current] = len(servers.findall(line[upstream.end() - 1:]))
        elif current:
            upstreams[current] += len(servers.findall(line))
        depth += line.count("{") - line.count("}")
        if depth < 0:
            out.append(Finding("", "unexpected '}'", rel, number))
            depth = 0
        if current and "}" in line and depth <= 1:
            current = None
        if not line.endswith(("{", "}", ";")):
            pending = (number, line)
    if pending:
        out.append(Finding("", f"directive '{pending[1][:40]}' does not end with "
                           "';'", rel, pending[0]))
    if depth > 0:
        out.append(Finding("", f"{depth} unclosed '{{' at end of file", rel, None))
    return out, upstreams


def haproxy_problems(text: str, rel: str) -> tuple[list[Finding], dict[str, int]]:
    out: list[Finding] = []
    backends: dict[str, int] = {}
    current: str | None = None
    sections = ("global", "defaults", "frontend", "backend", "listen", "resolvers", "peers",
                "userlist", "mailers", "program", "cache")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace():
            word = line.split()[0]
            if word not in sections:
                out.append(Finding("", f"unknown section '{word}'", rel, number))
                current = None
                continue
            current = line.split()[1] if word in ("backend", "listen") and len(
                line.split()) > 1 else None
            if current:
                backends[current] = 0
        elif current and line.split()[0] == "server":
            backends[current] += 1
    if not backends:
        out.append(Finding("", "no backend or listen section", rel, None))
    return out, backends
