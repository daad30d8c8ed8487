"""Issue 19, bounded time and memory with hostile peers (items 10-12), real peers on 127.0.0.1.

- a PostgreSQL-protocol peer that lets the client in and never answers a query
  (tests/servers/pg_stall.py);
- sshd hosts (tests/servers/sshd.py) whose ``timedatectl`` is a stub that never
  ends, or floods its output, or answers late (tests/servers/host_stubs.py);
- a local host whose ``timedatectl`` (first on the audit's PATH) never ends.

The audit runs in a subprocess under a wall-clock and memory bound
(tests/safety/hostile.py); the processes of a run are found by a token in their
environment, the stubs' by their path in their command line, so what outlives
the run is seen whatever its parent became. Every test here reproduced a break
(issue 19) before its fix; docs/reliability.md lists each with the bound measured.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary
from tests.safety.hostile import BoundedAudit, Finished, audit, output_args
from tests.servers import host_stubs
from tests.servers.pg_stall import stalled_postgres
from tests.servers.sshd import SshFleet, start_fleet

FINISHED = (0, 1, 6)  # exit codes of an audit that ran to its end
# Host and database timeouts here are 2 s (a command's hard deadline: timeout + 2 s); a
# run of one or two checks takes ~3 s plus pytest's start (10 s alone on this loaded
# machine, more under the whole suite). The peers never answer, so any bound passes
# only if the deadline works: 60 s leaves room for a slow start.
SECONDS = 60.0
# Room for an audit to start before the check under test runs: a nested ``-n 2`` run on
# a loaded 2-core machine (the whole suite under ``-n 2``) took more than 15 s to start.
STARTUP = 45.0


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshFleet]:
    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    started = start_fleet(tmp_path_factory.mktemp("hostile-peers"), ["p1", "p2"], {})
    try:
        yield started
    finally:
        started.stop()


def _write_config(directory: Path, config: dict[str, object]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "readiness.yaml").write_text(yaml.safe_dump(config))
    return directory


def _record(run: Finished, directory: Path) -> dict:
    assert run.stopped is None, run.summary()
    assert (directory / "out.json").is_file(), run.summary()
    return json.loads((directory / "out.json").read_text())


def _check(record: dict, check: str, target: str) -> dict:
    found = [c for c in record["checks"] if c["id"] == check and c["target"] == target]
    assert found, [(c["id"], c["target"]) for c in record["checks"]]
    return found[0]


def _wait_for(stub: Path, seconds: float = STARTUP) -> None:
    deadline = time.monotonic() + seconds
    while not host_stubs.running(stub):
        assert time.monotonic() < deadline, f"{stub} never started"
        time.sleep(0.1)


def test_a_postgres_that_never_answers_costs_its_timeout(tmp_path: Path) -> None:
    peer = stalled_postgres()
    try:
        directory = _write_config(tmp_path / "audit", {"databases": [{
            "name": "stalled", "timeout": 2,
            "dsn": f"postgresql://app:Pw1{peer.port}x@127.0.0.1:{peer.port}/app"}]})
        run = audit(directory, *output_args("json"), "--readiness-check", "db.reachable",
                    seconds=SECONDS)
    finally:
        peer.stop()
    assert peer.accepted >= 1  # the audit did reach it
    result = _check(_record(run, directory), "db.reachable", "stalled")
    assert result["outcome"] == "error" and "stalled" in result["message"], result
    print(f"\nPostgreSQL that never answers, timeout 2s: check {result['duration_s']}s, "
          f"run {run.elapsed:.1f}s")


def test_a_host_command_that_never_ends_is_bounded_and_killed(fleet: SshFleet,
                                                              tmp_path: Path) -> None:
    host = fleet.hosts[0]
    stub = host_stubs.hang(host.root / "bin", "timedatectl")
    try:
        directory = _write_config(tmp_path / "audit",
                                  {"hosts": fleet.host_entries(timeout=2)[:1]})
        run = audit(directory, *output_args("json"), "--readiness-check",
                    "clock.ntp-synchronised", seconds=SECONDS)
        time.sleep(1)  # what the end of the run should have stopped has stopped by now
        remote = host_stubs.running(stub)
    finally:
        host_stubs.kill_running(stub)
        stub.unlink()
    result = _check(_record(run, directory), "clock.ntp-synchronised", host.name)
    print(f"\nhost command that never ends, timeout 2s: check {result['duration_s']}s, "
          f"run {run.elapsed:.1f}s")
    assert result["outcome"] == "error", result
    assert remote == [] and run.leftovers == [], (remote, run.leftovers)


def test_a_host_command_that_floods_is_capped(fleet: SshFleet, tmp_path: Path) -> None:
    host = fleet.hosts[1]
    stub = host_stubs.flood(host.root / "bin", "timedatectl")
    try:
        # 10 s: long enough that today's unbounded buffering passes 500 MB even on a
        # loaded machine; a cap per command ends the check long before.
        directory = _write_config(tmp_path / "audit",
                                  {"hosts": fleet.host_entries(timeout=10)[1:2]})
        run = audit(directory, *output_args("json"), "--readiness-check",
                    "clock.ntp-synchronised", seconds=SECONDS)
    finally:
        host_stubs.kill_running(stub)
        stub.unlink()
    print(f"\nflooding host command: run {run.elapsed:.1f}s, peak {run.peak_mb:.0f} MB")
    assert run.rc in FINISHED, run.summary()
    result = _check(_record(run, directory), "clock.ntp-synchronised", host.name)
    print(f"flooding host command: check {result['duration_s']}s, {result['message'][:120]}")
    assert result["outcome"] != "pass", result


def test_sigterm_leaves_no_local_process(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stub = host_stubs.hang(bin_dir, "timedatectl")
    directory = _write_config(tmp_path / "audit", {"hosts": [
        {"name": "here", "connection": "local://", "timeout": 60}]})
    run = BoundedAudit(directory, [*output_args("json"), "--readiness-check",
                                   "clock.ntp-synchronised"], seconds=SECONDS)
    run.env["PATH"] = f"{bin_dir}:{run.env['PATH']}"
    try:
        run.start()
        _wait_for(stub)
        signalled = time.monotonic()
        run.signal(signal.SIGTERM)
        finished = run.wait()
    finally:
        host_stubs.kill_running(stub)
    print(f"\nSIGTERM during a local command: run ended {finished.elapsed:.1f}s after start, "
          f"{time.monotonic() - signalled:.1f}s after the signal (leftover grace included)")
    assert finished.rc == 2, finished.summary()  # interrupted: the partial record is written
    assert _record(finished, directory)["incomplete"]
    assert finished.leftovers == [], finished.leftovers


def test_a_cancelled_parallel_run_leaves_nothing(fleet: SshFleet, tmp_path: Path) -> None:
    host = fleet.hosts[1]
    stub = host_stubs.slow(host.root / "bin", "timedatectl", 20, "NTPSynchronized=yes")
    directory = _write_config(tmp_path / "audit", {"hosts": fleet.host_entries(timeout=30)})
    run = BoundedAudit(directory, [*output_args("json"), "-n", "2", "--readiness-suite",
                                   "clock"], seconds=SECONDS)
    try:
        run.start()
        _wait_for(stub)
        signalled = time.monotonic()
        run.signal_group(signal.SIGTERM)
        finished = run.wait()
    finally:
        host_stubs.kill_running(stub)
        stub.unlink()
    print(f"\n-n 2 run cancelled with SIGTERM: ended {time.monotonic() - signalled:.1f}s after "
          f"the signal (leftover grace included), rc {finished.rc}")
    assert finished.stopped is None, finished.summary()
    assert finished.rc == 2, finished.summary()  # ended by the signal, not by the stub
    left = [name for name in finished.tmp_left
            if name.startswith(("rdy-ssh-", "readiness-groups-"))]
    assert finished.leftovers == [] and left == [], (finished.leftovers, left)
