"""Operations rules: Markdown sections, stubs vs procedures, scripts, backups, load balancers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import tree
from pytest_readiness.probes.deployment import ops
from tests.deploy.conftest import write_tree

STEPS = "\n".join(f"{i}. Step {i} of the procedure, with enough words to count here." for i
                  in range(1, 6))
OPERATIONS = f"""
# Operations

Intro text.

## Rollback

{STEPS}

## Backups

TODO

```sh
# a heading-looking comment inside code is not a heading
pg_dump -Fc shop > shop.dump
```

### Restore test

Restores are tested monthly on staging with `scripts/restore.sh` and `./check.sh`.
"""


def doc(text: str, rel: str = "docs/operations.md") -> ops.Doc:
    return ops.Doc(rel, Path(rel), ops.sections(textwrap.dedent(text).lstrip("\n"), rel))


def test_sections_ignore_headings_in_code() -> None:
    d = doc(OPERATIONS)
    assert [(s.title, s.level, s.line) for s in d.sections] == [
        ("Operations", 1, 1), ("Rollback", 2, 5), ("Backups", 2, 13), ("Restore test", 3, 22)]
    assert d.sections[2].steps == 1  # the pg_dump command line


def test_topic_sections_and_content_rules() -> None:
    d = doc(OPERATIONS)
    [rollback] = ops.topic_sections([d], "rollback")
    assert (rollback.words, rollback.steps) == (60, 5)
    assert ops.content_problem(rollback, 60, 3) is None
    assert ops.content_problem(rollback, 61, 3) == \
        "only 60 words (a stub; at least 61 expected)"
    backups = ops.topic_sections([d], "backup-restore")
    # "Backups" (with its "Restore test" subsection) and "Restore test" itself.
    assert [s.title for s in backups] == ["Backups", "Restore test"]
    section, problem = ops.best(backups, 10, 2)
    assert section is not None and problem == "only 1 steps (numbered/bulleted items or " \
                                              "commands; 2 expected)"
    assert ops.restore_test_documented(backups) is not None
    assert ops.topic_sections([d], "capacity-planning") == []


def test_file_named_for_topic_counts_whole_and_stub_markers() -> None:
    stub = doc("# Runbook\n\nTODO TBD placeholder\n\n" + "\n".join(
        f"- todo item {i}" for i in range(40)), "runbooks/api.md")
    [section] = ops.topic_sections([stub], "runbook")
    assert section.line == 1
    assert ops.content_problem(section, 60, 3).startswith("mostly placeholders")


def test_missing_scripts_at_their_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/restore.sh": "#!/bin/sh\n", "docs/check.sh": "#!/bin/sh\n"})
    [section] = [s for s in doc(OPERATIONS).sections if s.title == "Restore test"]
    assert ops.missing_scripts(section, tmp_path, tmp_path / "docs") == []
    (tmp_path / "docs/check.sh").unlink()
    found = ops.missing_scripts(section, tmp_path, tmp_path / "docs")
    assert [(f.line, f.message) for f in found] == [
        (24, "docs/operations.md refers to ./check.sh, which does not exist")]


def test_script_paths_resolve_as_a_reader_would(tmp_path: Path) -> None:
    """A doc in a nested project names scripts relative to itself or a directory above it."""
    write_tree(tmp_path, {"examples/shop/scripts/backup.sh": "#!/bin/sh\n",
                          "examples/shop/docs/tools/check.sh": "#!/bin/sh\n"})
    text = ("# Backup\n\nRun `scripts/backup.sh` nightly, then `tools/check.sh`; restore with "
            "`scripts/restore.sh`.\n")
    [section] = doc(text, "examples/shop/docs/backup.md").sections
    doc_dir = tmp_path / "examples/shop/docs"
    found = ops.missing_scripts(section, tmp_path, doc_dir)
    assert [f.message for f in found] == [
        "examples/shop/docs/backup.md refers to scripts/restore.sh, which does not exist"]
    assert ops.script_bases(tmp_path, doc_dir) == [
        doc_dir, tmp_path / "examples/shop", tmp_path / "examples", tmp_path]
    # Nothing above the audited root is looked at.
    assert ops.script_bases(doc_dir.parent, doc_dir) == [doc_dir, doc_dir.parent]


def test_backup_schedules(tmp_path: Path) -> None:
    inventory = tree.inventory(write_tree(tmp_path, {
        "deploy/crontab": "# m h dom mon dow command\n30 2 * * * /opt/backup.sh\n"
                          "# 0 3 * * * old-backup.sh\n",
        "deploy/db-dump.timer": "[Timer]\nOnCalendar=daily\n",
        "deploy/db-dump.service": "[Service]\nExecStart=/opt/scripts/backup-db.sh\n",
        "deploy/cleanup.timer": "[Timer]\nOnCalendar=daily\n",
        "k8s/backup-cronjob.yaml": "apiVersion: batch/v1\nkind: CronJob\n",
    }))
    found = {(s.kind, s.file, s.line) for s in ops.backup_schedules(inventory)}
    assert found == {("cron", "deploy/crontab", 2), ("systemd-timer", "deploy/db-dump.timer", 1),
                     ("kubernetes", "k8s/backup-cronjob.yaml", 1)}
    assert [s.what for s in ops.compose_backup_services(
        [("db", "postgres:16", "c.yml", 3), ("pgbackup", "prodrigestivill/postgres-backup-local:16",
                                             "c.yml", 9)])] == [
        "service pgbackup (prodrigestivill/postgres-backup-local:16)"]


def test_active_passive_documented() -> None:
    assert ops.active_passive_documented([doc("# HA\n## Failover\n1. promote\n")]) is not None
    assert ops.active_passive_documented([doc("# HA\nfailover is manual\n")]) is None


NGINX = """
events { worker_connections 64; }
http {
    upstream api {
        server a:8000;
        server b:8000;
    }
    upstream single { server c:8000; }
    server {
        listen 8080;
        location / { proxy_pass http://api; }
    }
}
"""


def test_nginx_config_parses_and_counts_servers() -> None:
    found, upstreams = ops.nginx_problems(NGINX, "nginx.conf")
    assert found == []
    assert upstreams == {"api": 2, "single": 1}
    broken = NGINX.replace("listen 8080;", "listen 8080").replace("proxy_pass http://api; }", "")
    found, _ = ops.nginx_problems(broken, "nginx.conf")
    assert [(f.line, f.message) for f in found] == [
        (10, "directive 'listen 8080' does not end with ';'"),
        (None, "1 unclosed '{' at end of file")]


def test_haproxy_config() -> None:
    text = ("global\n  maxconn 100\ndefaults\n  mode http\nfrontend web\n  bind :80\n"
            "  default_backend api\nbackend api\n  server a a:8000 check\n"
            "  server b b:8000 check\nbakend typo\n")
    found, backends = ops.haproxy_problems(text, "haproxy.cfg")
    assert backends == {"api": 2}
    assert [(f.line, f.message) for f in found] == [(11, "unknown section 'bakend'")]


@given(st.lists(st.tuples(st.integers(1, 6), st.text(alphabet="abc xyz", min_size=1,
                                                      max_size=12).filter(str.strip)),
                max_size=8))
def test_every_heading_becomes_a_section_at_its_line(headings: list[tuple[int, str]]) -> None:
    lines = []
    for level, title in headings:
        lines += [f"{'#' * level} {title}", "body text"]
    found = ops.sections("\n".join(lines), "d.md")
    assert [(s.level, s.title, s.line) for s in found] == [
        (level, title.strip(), 2 * i + 1) for i, (level, title) in enumerate(headings)]


@pytest.mark.parametrize("name", ["nginx.conf", "deploy/nginx/site.conf", "lb/haproxy.cfg",
                                  "conf.d/api.conf"])
def test_lb_config_names(name: str) -> None:
    assert ops.is_lb_config(name)
