"""A fleet of 8 real sshd hosts on 127.0.0.1, an SNTP server and dnsmasq, per session.

The hosts are this machine seen through separate mount namespaces (see
tests/servers/sshd.py), with flaws planted in exactly one place each:
h02 has a world-readable private key, h03 a unit missing Wants=network-online.target,
h05 a drifted fleet file. ``AUDIT`` describes the readiness.yaml tests write.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary
from tests.servers.dns import Dnsmasq
from tests.servers.ntp import SntpServer
from tests.servers.sshd import SshFleet, start_fleet

HOSTS = [f"h{i:02d}" for i in range(1, 9)]
GOOD_UNIT = textwrap.dedent("""\
    [Unit]
    Description=app
    Wants=network-online.target
    After=network-online.target \\
      postgresql.service
    Requires=postgresql.service

    [Service]
    ExecStart=/usr/bin/app
    Restart=on-failure
    RestartSec=5s
    """)
BAD_UNIT = GOOD_UNIT.replace("Wants=network-online.target\n", "")
TIMEDATECTL = "#!/bin/sh\nprintf 'Timezone=UTC\\nNTP=yes\\nNTPSynchronized=yes\\n'\n"


@dataclass
class Lab:
    fleet: SshFleet
    fleet_dir: str  # the same path on every host, different content per host
    ntp_good: SntpServer
    ntp_shifted: SntpServer
    dns: Dnsmasq
    base: Path

    def config(self, **overrides: object) -> dict[str, object]:
        hosts = self.fleet.host_entries(timeout=5)
        for entry in hosts:
            entry["roles"] = ["web"] if entry["name"] <= "h05" else ["db"]
        config: dict[str, object] = {
            "system": "loopback fleet",
            "hosts": hosts,
            "services": [{"unit": "app.service", "after": ["postgresql.service"]}],
            "ntp": {"servers": [self.ntp_good.address, self.ntp_shifted.address],
                    "warn_ms": 100, "fail_ms": 1000, "timeout": 2},
            "dns": [{"name": "api.readiness.test", "expect": ["10.0.0.5"],
                     "resolver": self.dns.address, "from": ["h01", "h07"]},
                    {"name": "wrong.readiness.test", "expect": ["10.0.0.7"],
                     "resolver": self.dns.address}],
            "fleet": {"files": [f"{self.fleet_dir}/app.conf"]},
        }
        config.update(overrides)
        return config

    def write(self, directory: Path, **overrides: object) -> Path:
        path = directory / "readiness.yaml"
        path.write_text(yaml.safe_dump(self.config(**overrides)))
        return path


def _plant(base: Path, name: str, fleet_dir: str) -> dict[str, Path]:
    """This host's own files, bind-mounted over paths of the machine in its namespace."""
    root = base / "planted" / name
    units, keys, conf = root / "units", root / "private", root / "fleet"
    for directory in (units, keys, conf):
        directory.mkdir(parents=True)
    (units / "app.service").write_text(BAD_UNIT if name == "h03" else GOOD_UNIT)
    key = keys / "server.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n")
    key.chmod(0o644 if name == "h02" else 0o600)
    keys.chmod(0o710)
    (conf / "app.conf").write_text("workers = 8\n" if name == "h05" else "workers = 4\n")
    hosts_file = root / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n10.0.0.5 api.readiness.test\n")
    return {"/etc/systemd/system": units, "/etc/ssl/private": keys, fleet_dir: conf,
            "/etc/hosts": hosts_file}


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_binary("sshd", "/usr/sbin/sshd")
    dnsmasq = require_binary("dnsmasq", "/usr/sbin/dnsmasq")
    require_binary("unshare")
    base = tmp_path_factory.mktemp("lab")
    fleet_dir = str(base / "fleet-mount")
    os.makedirs(fleet_dir)
    binds = {name: _plant(base, name, fleet_dir) for name in HOSTS}
    fleet = start_fleet(base / "ssh", HOSTS, binds)
    for host in fleet.hosts:
        tool = host.root / "bin" / "timedatectl"
        tool.write_text(TIMEDATECTL)
        tool.chmod(0o755)
    records = {"api.readiness.test": "10.0.0.5", "wrong.readiness.test": "10.0.0.66"}
    try:
        with SntpServer(0.0) as good, SntpServer(5.0) as shifted, \
                Dnsmasq(dnsmasq, records, base) as dns:
            yield Lab(fleet, fleet_dir, good, shifted, dns, base)
    finally:
        fleet.stop()


def run_audit(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> dict:
    """Run the host suites on the pytester directory's readiness.yaml; return the record."""
    argv = ["--readiness", "--readiness-suite",
            "services,clock,dns,fleet,tools,files,hosts",
            "--readiness-json", "out.json", "-p", "no:cacheprovider", "-p", "no:benchmark", *args]
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run(*argv)
    record_path = pytester.path / "out.json"
    assert record_path.exists(), result.stdout.str()[-3000:]
    return json.loads(record_path.read_text())


def outcomes(record: dict) -> dict[tuple[str, str | None], str]:
    return {(c["id"], c["target"]): c["outcome"] for c in record["checks"]}
