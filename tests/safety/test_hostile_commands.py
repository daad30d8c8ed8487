"""Issue 19, command execution and trust (items 1-5): a hostile readiness.yaml against real hosts.

Two real sshd hosts on 127.0.0.1 (tests/servers/sshd.py: this machine seen through
mount namespaces). Each host shows planted files instead of the machine's own: a
fake ``/etc/shadow`` whose root line carries a generated hash, and a private key
left 0644 in ``/etc/ssl/private`` (so a check that does read the host fails).
Stub programs on the hosts' PATH (tests/servers/host_stubs.py) record what
reached them. If this machine has ``sudo``, an empty file hides it on the hosts:
they are hosts without sudo.

Every test here reproduced a break (issue 19) before its fix; docs/safety.md lists
the mechanism that closes each.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary
from tests.safety.hostile import audit, output_args, read_outputs
from tests.servers import host_stubs
from tests.servers.sshd import SshFleet, start_fleet

SECONDS = 60.0
ABSENT = "readiness-absent-package"  # not installed: dpkg-query says so, then rpm is asked


@dataclass
class Hosts:
    fleet: SshFleet
    shadow_hash: str  # the hash in the planted /etc/shadow: it must never be shown
    base: Path

    def entry(self, index: int = 0, **extra: object) -> dict[str, object]:
        return {**self.fleet.host_entries(timeout=5)[index], **extra}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    base = tmp_path_factory.mktemp("hostile-hosts")
    shadow_hash = secrets.token_hex(20)
    shadow = base / "shadow"
    shadow.write_text(f"root:$6$rdysalt${shadow_hash}:19700:0:99999:7:::\n")
    shadow.chmod(0o640)
    keys = base / "private"
    keys.mkdir()
    (keys / "server.key").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n"
                                     "-----END PRIVATE KEY-----\n")
    (keys / "server.key").chmod(0o644)  # a flaw any real read of the host finds
    binds: dict[str, Path] = {"/etc/shadow": shadow, "/etc/ssl/private": keys}
    sudo = shutil.which("sudo")
    if sudo:  # hosts without sudo: an empty, non-executable file in its place
        (base / "no-sudo").write_text("")
        binds[sudo] = base / "no-sudo"
    fleet = start_fleet(base / "ssh", ["web1", "web2"], {"web1": binds, "web2": binds})
    try:
        yield Hosts(fleet, shadow_hash, base)
    finally:
        fleet.stop()


def _run(directory: Path, config: dict[str, object], *args: str) -> tuple[dict | None, object]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "readiness.yaml").write_text(yaml.safe_dump(config))
    run = audit(directory, *output_args("json", "markdown", "junit", "log-file"), "-rA", *args,
                seconds=SECONDS)
    assert run.stopped is None, run.summary()
    record_path = directory / "out.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else None
    return record, run


def _outcome(record: dict | None, check: str, target: str) -> str | None:
    for c in (record or {}).get("checks", []):
        if c["id"] == check and c["target"] == target:
            return str(c["outcome"])
    return None


def test_package_names_never_reach_a_host_command_as_options(hosts: Hosts,
                                                             tmp_path: Path) -> None:
    marker = tmp_path / "pwned-by-rpm"
    value = f"--eval=%(touch {marker})"
    logs = []
    for host in hosts.fleet.hosts:  # dpkg-query (the real one) rejects the option first
        logs.append(tmp_path / f"rpm-{host.name}.argv")
        host_stubs.record_argv(host.root / "bin", "rpm", logs[-1])
    try:
        record, run = _run(tmp_path / "audit", {
            "hosts": [hosts.entry(0, roles=["web"]), hosts.entry(1, roles=["web"])],
            "fleet": {"facts": ["packages"], "packages": [ABSENT, value]},
        }, "--readiness-check", "fleet.packages")
    finally:
        for host in hosts.fleet.hosts:
            (host.root / "bin" / "rpm").unlink(missing_ok=True)
    calls = [argv for log in logs for argv in host_stubs.recorded(log)]
    assert any(ABSENT in argv for argv in calls), (calls, run.summary())  # rpm was asked
    as_option = [argv for argv in calls if value in argv and "--" not in argv[:argv.index(value)]]
    assert as_option == [], f"the package value reached rpm as an option: {as_option}"
    assert not marker.exists()


def test_ssh_extra_args_never_reach_a_local_shell(hosts: Hosts, tmp_path: Path) -> None:
    marker = tmp_path / "pwned-by-ssh-extra-args"
    record, run = _run(tmp_path / "audit", {
        "hosts": [hosts.entry(0, ssh_extra_args=f"-o Compression=no; touch {marker} #")],
    }, "--readiness-check", "files.host-sensitive-paths")
    assert not marker.exists(), "ssh_extra_args ran a command on the auditing machine"
    # A check that read nothing never passes (the host does hold a 0644 key).
    assert _outcome(record, "files.host-sensitive-paths", "web1") != "pass", run.summary()


def test_unit_names_are_not_paths(hosts: Hosts, tmp_path: Path) -> None:
    record, run = _run(tmp_path / "audit", {
        "hosts": [hosts.entry(0)], "services": [{"unit": "../../../../etc/shadow"}],
    }, "--readiness-suite", "services")
    texts = {**read_outputs(tmp_path / "audit"), "stdout": run.stdout, "stderr": run.stderr}
    shown = [where for where, text in texts.items() if hosts.shadow_hash[:16] in text]
    assert shown == [], f"the host's shadow line is shown in {shown}"


def test_a_relaxed_entry_does_not_relax_a_strict_one(hosts: Hosts, tmp_path: Path) -> None:
    unknown = tmp_path / "known_hosts_without_the_key"
    unknown.write_text("")
    relaxed = hosts.entry(0, name="relaxed", strict_host_key_checking=False)
    relaxed.pop("known_hosts")
    strict = hosts.entry(0, name="strict", known_hosts=str(unknown))
    record, run = _run(tmp_path / "audit", {"hosts": [relaxed, strict]},
                       "--readiness-check", "clock.host-drift")
    assert _outcome(record, "clock.host-drift", "relaxed") == "pass", run.summary()
    checks = {c["target"]: c for c in (record or {}).get("checks", [])}
    strict_result = checks.get("strict", {})
    assert strict_result.get("outcome") == "error", (
        f"a host whose key is not known was audited: {strict_result}")
    assert "host key" in strict_result.get("message", "").lower()


def test_sudo_that_does_not_work_is_not_a_pass(hosts: Hosts, tmp_path: Path) -> None:
    record, run = _run(tmp_path / "audit", {
        "hosts": [hosts.entry(0), hosts.entry(0, name="web1-sudo", sudo=True)],
    }, "--readiness-check", "files.host-sensitive-paths")
    # Read without sudo, the host fails (its 0644 key); through a sudo that is not there,
    # nothing is read, and that is not a pass.
    assert _outcome(record, "files.host-sensitive-paths", "web1") == "fail", run.summary()
    through_sudo = _outcome(record, "files.host-sensitive-paths", "web1-sudo")
    assert through_sudo != "pass", f"web1-sudo read nothing and passed\n{run.summary()}"


def test_a_sqlite_path_that_is_an_option_is_not_a_pass(hosts: Hosts, tmp_path: Path) -> None:
    record, run = _run(tmp_path / "audit", {
        "hosts": [hosts.entry(0)],
        "databases": [{"name": "ghost", "sqlite": "-cmd", "host": "web1"}],
    }, "--readiness-check", "db.sqlite-integrity")
    outcome = _outcome(record, "db.sqlite-integrity", "ghost")
    assert outcome != "pass", f"a database that does not exist passed\n{run.summary()}"
