"""Checks are read-only: an audit leaves what it audits exactly as it found it.

Every suite runs over a realistic tree (a git checkout with code, compose,
Dockerfile, unit, proto, workflow, .env files) and the tree is compared before
and after: content checksums, modes, sizes and modification times of every file
and directory, .git included (a ``git status`` would rewrite the index).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

TREE = {
    "app/main.py": (
        "import os\nimport time\nimport requests\n\n"
        "DB_PASSWORD = os.getenv('DB_PASSWORD', 'hunter2-Xy7')\n\n"
        "async def handler():\n    time.sleep(1)\n    return requests.get('https://x.example')\n"),
    "app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n",
    ".env": "API_KEY=sk-live-Qw3rTy8uIoP5aSdF6gHjKl\n",
    ".env.example": "API_KEY=changeme\n",
    "docker-compose.yml": (
        "services:\n  api:\n    image: shop/api:latest\n    ports: ['8080:8080']\n"
        "    environment:\n      - GF_SECURITY_ADMIN_PASSWORD=admin\n"
        "  db:\n    image: postgres\n    ports: ['5432:5432']\n"),
    "Dockerfile": "FROM python\nRUN pip install flask\nCOPY . /app\nCMD python /app/main.py\n",
    "deploy/api.service": "[Unit]\nDescription=api\n[Service]\nExecStart=/usr/bin/api\n",
    "proto/shop.proto": ('syntax = "proto3";\npackage shop;\n'
                         "message Order { string id = 1; int64 cents = 2; }\n"),
    ".github/workflows/ci.yml": ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                                 "    steps:\n      - uses: actions/checkout@v4\n"
                                 "      - run: pytest\n"),
    "docs/runbook.md": "# Runbook\n\n## Rollback\n\nRedeploy the previous tag.\n",
    "secrets/app.conf": "password = s3cr3t-Value-42\n",
}


def snapshot(root: Path) -> dict[str, tuple[str, int, int, int]]:
    """path -> (sha256 or 'dir', mode, size, mtime_ns) for everything under root."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            digest = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(path.relative_to(root))] = (digest, st.st_mode, st.st_size, st.st_mtime_ns)
    return state


@pytest.fixture
def audited_tree(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for rel, text in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "secrets" / "app.conf").chmod(0o644)
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a", "-C", str(root)]
    subprocess.run(git + ["init", "-q"], check=True, timeout=30)
    subprocess.run(git + ["add", "-A"], check=True, timeout=30)
    subprocess.run(git + ["commit", "-qm", "init"], check=True, timeout=30)
    return root


def test_a_full_audit_changes_nothing(pytester: pytest.Pytester, audited_tree: Path) -> None:
    pytester.makefile(".yaml", readiness=(
        "system: shop\n"
        "hosts: [{name: local, connection: 'local://'}]\n"  # host checks read this machine
        f"codebases:\n  - path: {audited_tree}\n"
        "files:\n"
        f"  - {{path: {audited_tree}/secrets/app.conf, mode: '0600', secret: true}}\n"))
    before = snapshot(audited_tree)
    result = pytester.runpytest_subprocess("--readiness", "--readiness-json", "out.json",
                                           "-p", "no:cacheprovider", "-n", "2")
    record = json.loads((pytester.path / "out.json").read_text())
    ran = [c for c in record["checks"] if c["outcome"] != "skip"]
    assert len(ran) >= 15, result.stdout.str()
    # The audit saw the flaws it was given (so it did read the tree) ...
    failed = {c["id"] for c in record["checks"] if c["outcome"] in ("fail", "warn")}
    assert {"secrets.hardcoded", "files.configured"} <= failed, failed
    # ... and left every byte, mode and timestamp as it was.
    after = snapshot(audited_tree)
    changed = {p: (before.get(p), after.get(p)) for p in before.keys() | after.keys()
               if before.get(p) != after.get(p)}
    assert changed == {}


def test_a_host_audited_over_ssh_is_left_as_it_was(pytester: pytest.Pytester,
                                                   tmp_path: Path) -> None:
    """Every host suite over real SSH; the files the host shows are compared before and after.

    The sshd runs in its own mount namespace with planted directories over
    /etc/ssl/private, /etc/systemd/system and a config directory, so the audit reads
    exactly these files on the "remote" side.
    """
    from tests.conftest import require_binary
    from tests.servers.sshd import start_fleet

    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    planted = tmp_path / "planted"
    keys, units, conf = planted / "private", planted / "units", planted / "conf"
    for directory in (keys, units, conf):
        directory.mkdir(parents=True)
    (keys / "server.key").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n"
                                     "-----END PRIVATE KEY-----\n")
    (keys / "server.key").chmod(0o644)  # a flaw the audit must see (and leave alone)
    (units / "app.service").write_text("[Unit]\nAfter=network-online.target\n"
                                       "[Service]\nExecStart=/usr/bin/app\n")
    (conf / "app.conf").write_text("password = x\nworkers = 4\n")
    (conf / "app.conf").chmod(0o640)
    conf_mount = str(tmp_path / "conf-mount")
    os.makedirs(conf_mount)
    fleet = start_fleet(tmp_path / "ssh", ["ro"], {"ro": {
        "/etc/ssl/private": keys, "/etc/systemd/system": units, conf_mount: conf}})
    try:
        (entry,) = fleet.host_entries(timeout=5)
        pytester.makefile(".yaml", readiness=json.dumps({
            "system": "read-only", "hosts": [entry],
            "files": [{"path": f"{conf_mount}/app.conf", "mode": "0600", "secret": True}],
            "services": [{"unit": "app.service"}],
            "fleet": {"files": [f"{conf_mount}/app.conf"]},
            "tools": [{"name": "sqlite3"}],
        }))
        before = snapshot(planted)
        pytester.runpytest_subprocess("--readiness", "--readiness-json", "out.json",
                                      "-p", "no:cacheprovider", timeout=300)
        after = snapshot(planted)
    finally:
        fleet.stop()
    record = json.loads((pytester.path / "out.json").read_text())
    on_host = {c["id"]: c["outcome"] for c in record["checks"] if c["target"] and
               c["target"].startswith("ro")}
    assert on_host.get("files.configured") == "fail"  # 0640, expected 0600: it did read
    assert on_host.get("files.host-sensitive-paths") == "fail"  # the 0644 key
    assert on_host.get("services.network-online") == "fail"  # After= without Wants=
    assert before == after
