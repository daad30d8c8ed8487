"""Local children of an audit (plumbing/processes.py): argv only, bounded, capped, reaped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pytest_readiness.plumbing import processes


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_a_run_returns_status_and_both_streams() -> None:
    done = processes.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"],
                         deadline=10, cap=1024)
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    assert not done.timed_out and not done.capped and processes.live() == 0


def test_a_run_starts_where_it_is_told(tmp_path: Path) -> None:
    done = processes.run(["/bin/pwd"], deadline=10, cap=1024, cwd=tmp_path)
    assert done.stdout.decode().strip() == str(tmp_path.resolve())


def test_a_string_is_never_run_through_a_shell() -> None:
    with pytest.raises(TypeError):
        processes.run("echo hi; touch /tmp/x", deadline=1, cap=10)  # type: ignore[arg-type]


def test_the_deadline_kills_the_whole_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    # A grandchild that would outlive its parent, holding the pipes open.
    done = processes.run(["/bin/sh", "-c", f"sleep 60 & echo $! > {pids}; sleep 60"],
                         deadline=0.5, cap=1024)
    elapsed = time.monotonic() - started
    assert done.timed_out and done.returncode is None
    assert elapsed < 5
    grandchild = int(pids.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_a_flood_is_capped() -> None:
    done = processes.run(["yes", "flood"], deadline=20, cap=100_000)
    assert done.capped and done.returncode is None
    assert len(done.stdout) + len(done.stderr) == 100_000


def test_an_interrupted_run_leaves_nothing(tmp_path: Path) -> None:
    """SIGTERM or the run deadline raise in the middle of a run: the group goes with it."""
    import signal

    pids = tmp_path / "pids"

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            processes.run(["/bin/sh", "-c", f"echo $$ > {pids}; sleep 60"], deadline=30, cap=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not _alive(int(pids.read_text()))
    assert processes.live() == 0


def test_kill_all_ends_every_registered_group() -> None:
    proc = processes.spawn(["sleep", "60"])
    assert processes.live() == 1
    assert processes.kill_all() == 1
    assert proc.poll() is not None and processes.live() == 0


def test_a_program_that_closes_its_pipes_and_stays_is_stopped_at_the_deadline() -> None:
    # Both pipes end at once, the program does not: the wait for its end is bounded too.
    started = time.monotonic()
    done = processes.run(["/bin/sh", "-c", "exec >&- 2>&-; sleep 30"], deadline=1, cap=64)
    assert done.timed_out and done.returncode is None
    assert time.monotonic() - started < 10 and processes.live() == 0


def test_a_short_command_is_reaped_with_its_status() -> None:
    statuses = {processes.run(["/bin/sh", "-c", f"exit {n}"], deadline=10, cap=64).returncode
                for n in range(5)}
    assert statuses == {0, 1, 2, 3, 4} and processes.live() == 0
