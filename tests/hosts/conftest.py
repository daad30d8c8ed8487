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


# -- a two-host lab for the live checks of issue 16 -----------------------------------

LIVE_HOSTS = ["m1", "m2"]


@dataclass
class LiveLab:
    """Two sshd hosts: m1 as it should be, m2 with one flaw per live check.

    ``paths`` are the same on both hosts (and exist on this machine): ``mount`` is a
    tmpfs mount point on m1 only, ``app`` holds config files (m2's miss keys), ``keys``
    holds key files (m2's ``b.key`` is 0644). m1's /etc/cron.d runs ``certbot renew``.
    Each host's ``bin`` comes first on its PATH for stubs (tests/servers/host_stubs.py).
    """

    fleet: SshFleet
    paths: dict[str, str]
    base: Path

    def entries(self, *names: str, **extra: object) -> list[dict[str, object]]:
        extra.setdefault("timeout", 15)  # a loaded 2-core machine: no false timeouts
        return [e for e in self.fleet.host_entries(**extra) if not names or e["name"] in names]

    def bin(self, name: str) -> Path:
        return next(h.root / "bin" for h in self.fleet.hosts if h.name == name)

    def planted(self, name: str, what: str) -> Path:
        """The directory behind ``paths[what]`` on host ``name`` (changes show at once)."""
        return self.base / "planted" / name / what


LIVE_CONFIGS = {
    "app.yaml": "database:\n  url: postgres://db/app\nlog_level: info\n",
    "app.json": '{"database": {"url": "postgres://db/app"}, "log_level": "info"}\n',
    "app.ini": "[database]\nurl = postgres://db/app\n[app]\nlog_level = info\n",
    "app.env": "DATABASE_URL=postgres://db/app\nLOG_LEVEL=info\n",
}


def _plant_live(base: Path, name: str, paths: dict[str, str], shm: Path) -> dict[str, Path]:
    root = base / "planted" / name
    app, keys = root / "app", root / "keys"
    for directory in (app, keys):
        directory.mkdir(parents=True)
    for file_name, text in LIVE_CONFIGS.items():
        if name == "m2":  # m2's files lack the log level
            text = text.replace(', "log_level": "info"', "")
            text = "\n".join(line for line in text.splitlines()
                             if "log_level" not in line.lower()) + "\n"
        (app / file_name).write_text(text)
    for key, mode in (("a.key", 0o600), ("b.key", 0o644 if name == "m2" else 0o640)):
        (keys / key).write_text("secret\n")
        (keys / key).chmod(mode)
    hosts_file = root / "hosts"
    address = "10.0.0.99" if name == "m2" else "10.0.0.5"
    hosts_file.write_text(f"127.0.0.1 localhost\n{address} api.readiness.test\n"
                          "10.0.0.8 db.readiness.test\n")
    units = root / "units"  # m1's app.service runs as app, m2's as root (no User=)
    units.mkdir()
    user = "User=app\n" if name == "m1" else ""
    (units / "app.service").write_text(f"[Unit]\nDescription=app\n\n[Service]\n{user}"
                                       "ExecStart=/usr/bin/app\nRestart=on-failure\n")
    binds = {paths["app"]: app, paths["keys"]: keys, "/etc/hosts": hosts_file,
             "/etc/systemd/system": units}
    if name == "m1":
        binds[paths["mount"]] = shm
        cron = root / "cron.d"  # m1 renews its certificates from cron
        cron.mkdir()
        (cron / "certbot").write_text("SHELL=/bin/sh\n# renew twice a day\n"
                                      "0 */12 * * * root certbot -q renew\n")
        binds["/etc/cron.d"] = cron
    return binds


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLab]:
    import shutil
    import tempfile

    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    base = tmp_path_factory.mktemp("live")
    paths = {"mount": str(base / "mnt" / "data"), "app": str(base / "etc-app"),
             "keys": str(base / "keys")}
    for path in paths.values():
        os.makedirs(path)
    shm = Path(tempfile.mkdtemp(prefix="readiness-live-", dir="/dev/shm"))
    (shm / "payload").write_bytes(b"x" * 4096)
    binds = {name: _plant_live(base, name, paths, shm) for name in LIVE_HOSTS}
    fleet = start_fleet(base / "ssh", LIVE_HOSTS, binds)
    try:
        yield LiveLab(fleet, paths, base)
    finally:
        fleet.stop()
        shutil.rmtree(shm, ignore_errors=True)


def run_live(pytester: pytest.Pytester, config: dict[str, object], *suites: str,
             extra: tuple[str, ...] = ()) -> dict:
    """Write readiness.yaml, run the given suites in process, return the record."""
    (pytester.path / "readiness.yaml").write_text(yaml.safe_dump(config))
    argv = ["--readiness", "--readiness-suite", ",".join(suites), "--readiness-json",
            "out.json", "-p", "no:cacheprovider", "-p", "no:benchmark", *extra]
    result = pytester.runpytest(*argv)
    record_path = pytester.path / "out.json"
    assert record_path.exists(), result.stdout.str()[-3000:]
    return json.loads(record_path.read_text())


def check_of(record: dict, check_id: str, target: str | None) -> dict:
    found = [c for c in record["checks"] if c["id"] == check_id and c["target"] == target]
    assert len(found) == 1, sorted((c["id"], c["target"]) for c in record["checks"])
    return found[0]
