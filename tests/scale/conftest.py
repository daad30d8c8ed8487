"""Scale tests: a fleet of 8 real sshd hosts on 127.0.0.1 (tests/servers/sshd.py),
audited through an Ansible inventory and as CI shards merged back into one record.

Audits run in fresh processes (``runpytest_subprocess``) so each starts with no
SSH connection open, and the logins every sshd logs during one run are that run's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary
from tests.servers.sshd import SshFleet, start_fleet

HOSTS = [f"h{i:02d}" for i in range(1, 9)]
BROKEN, WARNED = "h03", "h06"

# Four checks per host and one check without a host; one planted failure, one warning.
CHECKS = f'''
import pytest

pytestmark = pytest.mark.readiness(section="Scale", category="operations", severity="medium")


@pytest.mark.readiness(id="scale.fact", fix="none")
@pytest.mark.parametrize("case", range(4))
def test_fact(host, host_config, readiness, case):
    """A fact of a fleet host."""
    readiness.evidence(host=host_config.name, roles=list(host_config.roles), case=case,
                       kernel=host.check_output("uname -s"))
    assert host.file("/etc/passwd").user == "root"
    assert not (host_config.name == {BROKEN!r} and case == 0), "planted failure"
    if host_config.name == {WARNED!r} and case == 1:
        readiness.warn("planted warning")


@pytest.mark.readiness(id="scale.system", fix="none", severity="high")
def test_system(readiness_config, readiness):
    """A check without a host."""
    readiness.evidence(hosts=len(readiness_config.hosts))
'''


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshFleet]:
    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    base = tmp_path_factory.mktemp("scale")
    # An empty ~/.bashrc on the fake hosts: this machine's may be slow (pyenv init).
    rc, empty = Path("~root/.bashrc").expanduser(), base / "empty-bashrc"
    empty.write_text("")
    binds = {str(rc): empty} if rc.is_file() else {}
    fleet = start_fleet(base / "ssh", HOSTS, {name: binds for name in HOSTS})
    try:
        yield fleet
    finally:
        fleet.stop()


def write_audit(directory: Path, hosts: list[dict[str, object]]) -> None:
    (directory / "checks").mkdir(exist_ok=True)
    (directory / "checks" / "test_scale.py").write_text(CHECKS)
    # two checks, one category: scored (the threshold is tested in tests/core/test_scoring.py)
    config = {"system": "scale lab", "hosts": hosts, "checks": ["checks"],
              "scoring": {"min_checks": 0}}
    (directory / "readiness.yaml").write_text(yaml.safe_dump(config))


def audit(pytester: pytest.Pytester, fleet: SshFleet, out: str, *args: str,
          suites: str = "scale") -> dict:
    """Run the scale checks in a fresh process; the record gets ``_logins`` per host."""
    before = {h.name: h.accepted_logins() for h in fleet.hosts}
    result = pytester.runpytest_subprocess(
        "--readiness", "--readiness-suite", suites, "--readiness-json", out,
        "-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:xdist", *args)
    path = pytester.path / out
    assert path.exists(), result.stdout.str()[-3000:] + result.stderr.str()[-2000:]
    record = json.loads(path.read_text())
    record["_logins"] = {h.name: h.accepted_logins() - before[h.name] for h in fleet.hosts}
    return record


def outcomes(record: dict) -> dict[tuple[str, str | None], str]:
    return {(c["id"], c["target"]): c["outcome"] for c in record["checks"]}
