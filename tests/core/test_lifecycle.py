"""Runs that cannot finish: a deadline, SIGTERM, Ctrl-C; and host affinity under xdist.

Each case starts a real pytest process (signals need one of their own) and reads
the record it leaves behind.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

HANGING = '''
import time
import pytest

pytestmark = pytest.mark.readiness(section="Slow", category="operations", severity="high")

@pytest.mark.readiness(id="slow.first")
def test_first(readiness):
    readiness.evidence(ran=True)

@pytest.mark.readiness(id="slow.hangs")
def test_hangs(readiness):
    """A check whose probe forgot its timeout."""
    open("started", "w").close()
    time.sleep(3600)

@pytest.mark.readiness(id="slow.never")
def test_never(readiness):
    pass
'''


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    (tmp_path / "readiness.yaml").write_text("system: Slow\nchecks: [checks]\n")
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_slow.py").write_text(HANGING)
    return tmp_path


def _pytest(cwd: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pytest", "--readiness", "--readiness-suite", "slow",
               "--readiness-json", "out.json",
               "--readiness-report", "out.md", "-p", "no:cacheprovider", "-p", "no:randomly",
               *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def _record(cwd: Path) -> dict:
    return json.loads((cwd / "out.json").read_text())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_run_deadline_writes_a_partial_record(slow_project: Path, workers: list[str]) -> None:
    # Long enough for xdist workers to start on a loaded machine, short enough to wait for.
    deadline = "10" if workers else "4"
    proc = _pytest(slow_project, "--readiness-timeout", deadline, *workers)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 7, out
    record = _record(slow_project)
    assert record["incomplete"] is True
    assert any("timeout" in note and f"--readiness-timeout {deadline}s" in note
               for note in record["notes"])
    ran = {c["id"]: c["outcome"] for c in record["checks"]}
    assert ran.get("slow.first") == "pass"
    assert "slow.hangs" not in ran
    assert any(n.endswith("test_hangs") for n in record["not_run"]), record["not_run"]
    if not workers:  # under xdist the third check may have run on the other worker
        assert any(n.endswith("test_never") for n in record["not_run"])
    assert "incomplete" in (slow_project / "out.md").read_text().lower()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_writes_a_partial_record(slow_project: Path, signum: int) -> None:
    proc = _pytest(slow_project)
    _wait_for(slow_project / "started", proc)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    record = _record(slow_project)
    assert record["incomplete"] is True
    assert [c["id"] for c in record["checks"]] == ["slow.first"]
    assert len(record["not_run"]) == 2
    reason = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert any(note.startswith(f"incomplete ({reason})") for note in record["notes"])


AFFINITY = '''
import os
import pytest

pytestmark = pytest.mark.readiness(section="Aff", category="operations", severity="low")

@pytest.mark.readiness(id="aff.one")
def test_one(readiness, host_config):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"))

@pytest.mark.readiness(id="aff.two")
def test_two(readiness, host_config):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"))

@pytest.mark.readiness(id="aff.three")
def test_three(readiness, host_config):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"))
'''


def test_checks_of_one_host_share_one_worker(pytester: pytest.Pytester) -> None:
    hosts = "\n".join(f"  - {{name: h{i}, connection: 'local://'}}" for i in range(6))
    pytester.makefile(".yaml", readiness=f"system: Aff\nchecks: [checks]\nhosts:\n{hosts}\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_aff.py").write_text(AFFINITY)
    result = pytester.runpytest_subprocess("--readiness", "--readiness-suite", "aff",
                                           "--readiness-json", "out.json",
                                           "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    record = json.loads((pytester.path / "out.json").read_text())
    workers: dict[str, set[str]] = {}
    for check in record["checks"]:
        workers.setdefault(check["target"], set()).add(check["evidence"]["worker"])
        assert "@" not in check["nodeid"]  # the xdist group suffix is not in the record
    assert sorted(workers) == [f"h{i}" for i in range(6)]
    assert all(len(w) == 1 for w in workers.values()), workers
    assert len(set().union(*workers.values())) == 2  # both workers got hosts


CODEBASE_AFFINITY = '''
import os
import pytest

pytestmark = pytest.mark.readiness(section="Aff", category="operations", severity="low")

@pytest.mark.readiness(id="aff.code")
def test_code(readiness, inventory):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"), files=len(inventory.files))

@pytest.mark.readiness(id="aff.more-code")
def test_more_code(readiness, codebase):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"))

@pytest.mark.readiness(id="aff.compose")
def test_compose(readiness, compose_file):
    readiness.evidence(worker=os.environ.get("PYTEST_XDIST_WORKER"))
    readiness.target = compose_file.codebase.target_name
'''


def test_checks_of_one_codebase_share_one_worker(pytester: pytest.Pytester) -> None:
    """Code checks and checks of a codebase's files run where its index was built."""
    names = [f"cb{i}" for i in range(6)]
    for name in names:
        pytester.mkdir(name)
        (pytester.path / name / "app.py").write_text("x = 1\n")
        (pytester.path / name / "docker-compose.yml").write_text("services: {a: {image: x}}\n")
    codebases = "\n".join(f"  - {{path: {name}}}" for name in names)
    pytester.makefile(".yaml", readiness=f"system: Aff\nchecks: [checks]\ncodebases:\n"
                                         f"{codebases}\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_aff.py").write_text(CODEBASE_AFFINITY)
    result = pytester.runpytest_subprocess("--readiness", "--readiness-suite", "aff",
                                           "--readiness-json", "out.json",
                                           "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    record = json.loads((pytester.path / "out.json").read_text())
    workers: dict[str, set[str]] = {}
    for check in record["checks"]:
        workers.setdefault(check["target"], set()).add(check["evidence"]["worker"])
    assert sorted(workers) == names
    assert len(record["checks"]) == 18
    assert all(len(w) == 1 for w in workers.values()), workers
    assert len(set().union(*workers.values())) == 2  # both workers got codebases
