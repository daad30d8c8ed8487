"""Hosts that cannot be audited end in `error` naming the host and the reason, the rest
of the audit goes on; host keys are verified unless relaxed, which warns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.hosts.conftest import Lab
from tests.servers import silent
from tests.servers.sshd import free_port, keygen

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out


def _audit(pytester: pytest.Pytester, hosts: list[dict]) -> dict:
    pytester.path.joinpath("readiness.yaml").write_text(yaml.safe_dump({"hosts": hosts}))
    result = pytester.runpytest("--readiness", "--readiness-suite", "clock,fleet,hosts",
                                "--readiness-json", "out.json", "-p", "no:cacheprovider",
                                "-p", "no:benchmark")
    assert (pytester.path / "out.json").exists(), result.stdout.str()[-3000:]
    return json.loads((pytester.path / "out.json").read_text())


def _result(record: dict, check: str, target: str) -> dict:
    return next(c for c in record["checks"] if c["id"] == check and c["target"] == target)


def test_unreachable_silent_and_impostor_hosts_error(lab: Lab, pytester: pytest.Pytester,
                                                     tmp_path) -> None:
    good = lab.fleet.host_entries(timeout=2)[0]
    impostor_known = tmp_path / "known_hosts"
    other = keygen(tmp_path / "other_key")  # a key h01 does not have: a changed host key
    port = lab.fleet.hosts[0].port
    impostor_known.write_text(f"[127.0.0.1]:{port} {' '.join(other.split()[:2])}\n")
    mute = silent.silent()
    try:
        record = _audit(pytester, [
            good,
            {**good, "name": "gone", "connection": f"ssh://root@127.0.0.1:{free_port()}"},
            {**good, "name": "mute", "connection": f"ssh://root@127.0.0.1:{mute.port}"},
            {**good, "name": "impostor", "known_hosts": str(impostor_known),
             "connection": f"ssh://root@localhost:{port}"},
            {**good, "name": "lab-box", "optional": True,
             "connection": f"ssh://root@127.0.0.1:{free_port()}"},
        ])
    finally:
        mute.stop()
    assert _result(record, "clock.host-drift", "h01")["outcome"] == "pass"
    gone = _result(record, "clock.host-drift", "gone")
    assert gone["outcome"] == "error" and "host gone" in gone["message"]
    assert "connection refused" in gone["message"]
    mute_result = _result(record, "clock.host-drift", "mute")
    assert mute_result["outcome"] == "error" and "host mute" in mute_result["message"]
    assert "never spoke SSH" in mute_result["message"] or "timed out" in mute_result["message"]
    impostor = _result(record, "clock.ntp-synchronised", "impostor")
    assert impostor["outcome"] == "error"
    assert "host impostor" in impostor["message"] and "host key" in impostor["message"]
    optional = _result(record, "clock.host-drift", "lab-box")
    assert optional["outcome"] == "warn" and "optional host lab-box" in optional["message"]
    # Each unreachable host cost one attempt: its later checks failed at once.
    assert all(c["duration_s"] < 8 for c in record["checks"]), [
        (c["id"], c["target"], c["duration_s"]) for c in record["checks"]]


def test_relaxed_host_key_checking_warns(lab: Lab, pytester: pytest.Pytester) -> None:
    entry = {**lab.fleet.host_entries(timeout=3)[1], "strict_host_key_checking": False}
    entry.pop("known_hosts")
    record = _audit(pytester, [entry])
    result = _result(record, "hosts.host-key-verification", "h02")
    assert result["outcome"] == "warn" and "host key checking is off" in result["message"]
    assert _result(record, "clock.host-drift", "h02")["outcome"] == "pass"


def test_strict_by_default_with_the_users_known_hosts(lab: Lab, tmp_path) -> None:
    """Without known_hosts in config, the user's own known_hosts decides (ssh reads the
    passwd home, which does not list the test host): an unknown key is an error."""
    entry = {**lab.fleet.host_entries(timeout=3)[2]}
    entry.pop("known_hosts")
    (tmp_path / "readiness.yaml").write_text(yaml.safe_dump({"hosts": [entry]}))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "--readiness-suite", "clock",
         "--readiness-json", "out.json", "-p", "no:cacheprovider", "-p", "no:benchmark",
         "-p", "no:xdist"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(tmp_path)})
    record = json.loads((tmp_path / "out.json").read_text())
    result = _result(record, "clock.host-drift", "h03")
    assert result["outcome"] == "error", proc.stdout[-2000:]
    assert "host key verification failed" in result["message"]
