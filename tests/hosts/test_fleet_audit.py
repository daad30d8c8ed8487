"""The host suites against 8 real sshd hosts: exactly the planted flaws fail, with evidence;
the same results under -n 4; one SSH connection per host per process."""

from __future__ import annotations

import re

import pytest

from tests.hosts.conftest import HOSTS, Lab, outcomes, run_audit

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

EXPECTED_FAILURES = {
    ("files.host-sensitive-paths", "h02"),
    ("services.network-online", "h03:app.service"),
    ("clock.ntp-server-offset", "ntp"),
    ("dns.resolves", "wrong.readiness.test"),
}


def _by(record: dict, check: str, target: str) -> dict:
    return next(c for c in record["checks"] if c["id"] == check and c["target"] == target)


def _serial_audit(lab: Lab, directory) -> dict:
    """One serial run in a fresh process, with the logins each host saw during it."""
    import json
    import subprocess
    import sys

    lab.write(directory)
    before = {h.name: h.accepted_logins() for h in lab.fleet.hosts}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "--readiness-suite",
         "services,clock,dns,fleet,tools,files,hosts", "--readiness-json", "out.json",
         "-p", "no:cacheprovider", "-p", "no:benchmark", "-p", "no:xdist"],
        cwd=directory, capture_output=True, text=True, timeout=600)
    record_path = directory / "out.json"
    assert record_path.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads(record_path.read_text())
    record["_logins"] = {h.name: h.accepted_logins() - before[h.name] for h in lab.fleet.hosts}
    record["_stdout"] = proc.stdout
    return record


def test_fleet_of_8_hosts_serial_and_parallel(lab: Lab, pytester: pytest.Pytester,
                                              tmp_path) -> None:
    """One test, so that xdist never runs the (costly) serial audit twice."""
    record = _serial_audit(lab, tmp_path)
    check_exactly_the_planted_flaws_fail(record)
    check_failures_carry_evidence(record)
    check_every_host_audited_and_the_rest_passes(record)
    check_fleet_drift_names_the_outlier(record)
    check_one_ssh_connection_per_host(record)
    check_parallel_run_gives_identical_results(lab, record, pytester)


def check_exactly_the_planted_flaws_fail(serial_record: dict) -> None:
    failed = {(c["id"], c["target"]) for c in serial_record["checks"]
              if c["outcome"] in ("fail", "error")}
    assert failed == EXPECTED_FAILURES, serial_record["_stdout"][-4000:]


def check_failures_carry_evidence(serial_record: dict) -> None:
    key = _by(serial_record, "files.host-sensitive-paths", "h02")
    assert "/etc/ssl/private/server.key is 0644" in key["message"]
    assert key["evidence"]["checked"]["/etc/ssl/private/server.key"] == "0644"
    unit = _by(serial_record, "services.network-online", "h03:app.service")
    assert "without Wants=network-online.target" in unit["message"]
    assert unit["evidence"]["after"] == ["network-online.target", "postgresql.service"]
    assert unit["evidence"]["read_from"] == ["/etc/systemd/system/app.service"]
    ntp = _by(serial_record, "clock.ntp-server-offset", "ntp")
    assert "the NTP servers disagree by" in ntp["message"]  # ntp.max_skew_ms (= fail_ms)
    offsets = [s["offset_ms"] for s in ntp["evidence"]["servers"].values()]
    assert sorted(round(o / 1000) for o in offsets) == [0, 5]
    dns = _by(serial_record, "dns.resolves", "wrong.readiness.test")
    assert "resolves to 10.0.0.66, expected 10.0.0.7" in dns["message"]
    assert dns["evidence"]["resolver"].startswith("127.0.0.1:")


def check_every_host_audited_and_the_rest_passes(serial_record: dict) -> None:
    got = outcomes(serial_record)
    for host in HOSTS:
        assert got[("clock.ntp-synchronised", host)] == "pass"
        assert got[("clock.host-drift", host)] == "pass"
        assert got[("hosts.host-key-verification", host)] == "pass"
        assert got[("services.restart-policy", f"{host}:app.service")] == "pass"
        assert got[("services.ordering", f"{host}:app.service")] == "pass"
        assert got[("services.enabled-active", f"{host}:app.service")] == "skip"
        if host != "h02":
            assert got[("files.host-sensitive-paths", host)] == "pass"
    assert got[("dns.resolves", "api.readiness.test")] == "pass"
    assert got[("dns.resolves-on-hosts", "api.readiness.test")] == "pass"


def check_fleet_drift_names_the_outlier(serial_record: dict) -> None:
    files = _by(serial_record, "fleet.files", "fleet")
    assert files["outcome"] == "warn"
    assert "role web" in files["message"] and "differs on h05=" in files["message"]
    assert "role db" not in files["message"]
    assert _by(serial_record, "fleet.kernel", "fleet")["outcome"] == "pass"
    # Same machine behind every host: no clock drift beyond the measurement's uncertainty.
    assert _by(serial_record, "fleet.ntp-offset", "fleet")["outcome"] == "pass"


def check_one_ssh_connection_per_host(serial_record: dict) -> None:
    # Each host ran 8+ checks (dozens of commands) over one authenticated connection.
    checks_per_host = {h: sum(1 for c in serial_record["checks"]
                              if str(c["target"]).split(":")[0] == h) for h in HOSTS}
    assert min(checks_per_host.values()) >= 8
    assert serial_record["_logins"] == {h: 1 for h in HOSTS}


def check_parallel_run_gives_identical_results(lab: Lab, serial_record: dict,
                                              pytester: pytest.Pytester) -> None:
    lab.write(pytester.path)
    before = {h.name: h.accepted_logins() for h in lab.fleet.hosts}
    record = run_audit(pytester, "-n", "4", subprocess=True)
    assert outcomes(record) == outcomes(serial_record)
    def failures(checks: list[dict]) -> dict[tuple[str, str], str]:
        # Measured values (an NTP offset: +4999.9 vs +5000.0 ms) differ run to run.
        return {(c["id"], c["target"]): re.sub(r"[+-]?\d+(\.\d+)?", "N", c["message"])
                for c in checks if c["outcome"] == "fail"}

    assert failures(record["checks"]) == failures(serial_record["checks"])
    logins = {h.name: h.accepted_logins() - before[h.name] for h in lab.fleet.hosts}
    assert all(1 <= n <= 4 for n in logins.values()), logins  # at most one per worker
