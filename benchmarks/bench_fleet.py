"""Fleet audit: N real sshd hosts on 127.0.0.1 x 50 host checks each, three ways.

    python benchmarks/bench_fleet.py [--hosts 8 32] [--checks 50] [--workers 2]

Starts N OpenSSH servers on free loopback ports (tests/servers/sshd.py: one sshd per
"host", host keys verified against a generated known_hosts), writes a check module of
``--checks`` parametrised checks using the ``host`` fixture (file modes, owners and
existence, ``uname``, ``id``: commands of the read-only allowlist, one or two per
check), and audits the fleet:

1. serial, with connection reuse (OpenSSH ControlMaster, the default);
2. ``-n WORKERS`` (pytest-xdist; checks of one host grouped on one worker), with reuse;
3. serial without connection reuse (``READINESS_SSH_REUSE=0``): one SSH connection
   per command, the naive way;
4. as two CI jobs: ``--readiness-shard 1/2`` and ``2/2`` started together (on one
   machine here, so they share its CPUs), then ``pytest-readiness merge``; the time
   is until the merged record is written.

For each: wall time, checks/s, and the SSH connections the sshd logs counted
("Accepted publickey" lines). Needs sshd, ssh-keygen and unshare (root, as in CI).
Run on purpose, never from the test suite.

Every command over SSH runs in the login shell of the remote user, and bash run by
sshd reads ``~/.bashrc``. On a machine whose ``/root/.bashrc`` is slow (pyenv init:
~0.2 s) that dwarfs everything else; by default each fake host gets an empty
``.bashrc`` (bind-mounted in its namespace), as a server usually has.
``--machine-bashrc`` keeps this machine's own, to see that case.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.sshd import SshFleet, start_fleet  # noqa: E402

# Each check asks one or two questions of its host; all commands are on the allowlist.
FACTS = [
    'host.file("/etc/passwd").mode & 0o022 == 0',
    'host.file("/etc/passwd").user == "root"',
    'host.file("/etc/hostname").exists',
    'host.file("/etc").is_directory and host.file("/etc/shadow").group in ("root", "shadow")',
    'host.check_output("uname -s") == "Linux"',
    'host.check_output("id -u") == "0"',
]

CHECKS = '''
import pytest

pytestmark = pytest.mark.readiness(section="Fleet bench", category="operations", severity="low")
CASES = list(range({n}))


@pytest.mark.readiness(id="bench.fleet-fact", fix="none")
@pytest.mark.parametrize("case", CASES)
def test_fleet_fact(host, readiness, case):
    """One fact of a fleet host."""
    readiness.evidence(case=case)
{body}
'''


VARIANTS = ("serial", "xdist", "naive", "shards")


@dataclass
class Variant:
    key: str
    name: str
    args: list[str]
    reuse: bool
    shards: int = 0


@dataclass
class Measure:
    seconds: float
    checks: int
    connections: int


def _body() -> str:
    return "\n".join(f"    if case % {len(FACTS)} == {i}:\n        assert {expr}"
                     for i, expr in enumerate(FACTS))


def _write_audit(directory: Path, fleet: SshFleet, checks: int) -> None:
    (directory / "checks").mkdir(parents=True)
    (directory / "checks" / "test_bench.py").write_text(CHECKS.format(n=checks, body=_body()))
    config = {"system": "fleet bench", "hosts": fleet.host_entries(timeout=10),
              "checks": ["checks"]}
    (directory / "readiness.yaml").write_text(yaml.safe_dump(config))


def _pytest(variant: Variant, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "no:randomly", "-p", "no:benchmark", "--readiness",
            "--readiness-suite", "bench", "--readiness-json", out, *variant.args, *extra]


def _sharded(directory: Path, variant: Variant, env: dict[str, str]) -> int:
    """Run the shards side by side, then merge them into out.json; the worst exit code."""
    jobs = [subprocess.Popen(_pytest(variant, f"shard{i}.json", "--readiness-shard",
                                     f"{i}/{variant.shards}"),
                             cwd=directory, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
            for i in range(1, variant.shards + 1)]
    # Exit 5 (nothing collected) is an empty shard: few hosts may all hash to one.
    codes = [0 if code == 5 else code for code in (job.wait(timeout=3600) for job in jobs)]
    merge = subprocess.run([sys.executable, "-m", "pytest_readiness.cli", "merge", "-o",
                            "out.json", *[f"shard{i}.json" for i in range(1, len(jobs) + 1)]],
                           cwd=directory, capture_output=True, text=True, timeout=600)
    if merge.returncode != 0:
        raise SystemExit(f"merge failed: {merge.stdout}{merge.stderr}")
    return max(codes)


def _run(directory: Path, fleet: SshFleet, variant: Variant) -> Measure:
    env = {**os.environ, "READINESS_SSH_REUSE": "1" if variant.reuse else "0"}
    before = sum(h.accepted_logins() for h in fleet.hosts)
    start = time.perf_counter()
    if variant.shards:
        done = subprocess.CompletedProcess([], _sharded(directory, variant, env), "", "")
    else:
        done = subprocess.run(_pytest(variant, "out.json"), cwd=directory, env=env,
                              capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    time.sleep(0.5)  # sshd writes its log line as the connection is accepted; let it land
    connections = sum(h.accepted_logins() for h in fleet.hosts) - before
    record = json.loads((directory / "out.json").read_text())
    bad = [c for c in record["checks"] if c["outcome"] != "pass"]
    if done.returncode not in (0, 1) or bad:
        raise SystemExit(f"{variant.name}: exit {done.returncode}, {len(bad)} checks not "
                         f"passing, first {bad[:1]}\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return Measure(seconds, len(record["checks"]), connections)


def bare_bashrc(base: Path) -> dict[str, Path]:
    """Bind mounts giving a host an empty ~/.bashrc (see the module docstring)."""
    rc = Path("~root/.bashrc").expanduser()
    if not rc.is_file():
        return {}
    empty = base / "empty-bashrc"
    empty.write_text("")
    return {str(rc): empty}


def bench(hosts: int, checks: int, workers: int, base: Path, machine_bashrc: bool,
          wanted: set[str]) -> dict[str, Measure]:
    names = [f"h{i:03d}" for i in range(1, hosts + 1)]
    binds = {} if machine_bashrc else bare_bashrc(base)
    fleet = start_fleet(base / "ssh", names, {name: binds for name in names})
    try:
        audit = base / "audit"
        _write_audit(audit, fleet, checks)
        variants = [Variant("serial", "serial, reuse", ["-p", "no:xdist"], True),
                    Variant("xdist", f"-n {workers}, reuse", ["-n", str(workers)], True),
                    Variant("naive", "serial, no reuse (naive)", ["-p", "no:xdist"], False),
                    Variant("shards", "2 shards + merge, reuse", ["-p", "no:xdist"], True,
                            shards=2)]
        return {v.name: _run(audit, fleet, v) for v in variants if v.key in wanted}
    finally:
        fleet.stop()


def report(hosts: int, checks: int, results: dict[str, Measure]) -> None:
    base = "serial, no reuse (naive)" if "serial, no reuse (naive)" in results else next(
        iter(results))
    naive = results[base].seconds
    print(f"\nfleet: {hosts} sshd hosts on 127.0.0.1 x {checks} checks = {hosts * checks}")
    print(f"{'variant':<28} {'total s':>8} {'checks/s':>9} {'ssh conns':>10}  "
          f"speed-up vs {base}")
    for name, m in results.items():
        print(f"{name:<28} {m.seconds:>8.2f} {m.checks / m.seconds:>9.1f} "
              f"{m.connections:>10} {naive / m.seconds:>8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--checks", type=int, default=50, help="checks per host")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--machine-bashrc", action="store_true",
                        help="keep this machine's /root/.bashrc on the fake hosts")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS,
                        help="which runs (default: all)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
          f"load average {os.getloadavg()[0]:.1f}; remote ~/.bashrc: "
          f"{'this machine' if args.machine_bashrc else 'empty'}")
    for hosts in args.hosts:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            results = bench(hosts, args.checks, args.workers, Path(tmp), args.machine_bashrc,
                            set(args.variants))
            report(hosts, args.checks, results)
    print("\nrerun: python benchmarks/bench_fleet.py --hosts 8 32 --checks 50 --workers 2")


if __name__ == "__main__":
    main()
