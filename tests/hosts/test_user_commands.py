"""The user's extra read-only host commands (issue 16.11): readiness.yaml ``host_commands``
is validated when read, and the commands it allows get the same guard (values), deadline
and output cap as the built-in ones."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.probes.hosts import commands
from tests.servers import host_stubs

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-checks.md"


def _example() -> str:
    """The host-command example of docs/writing-checks.md."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    (found,) = [b for b in blocks if "patching.reboot-age" in b]
    return found


@pytest.mark.parametrize(("entry", "problem"), [
    ("{program: sh, first: ['-c']}", "'sh' can change a host or run other programs"),
    ("{program: /usr/bin/uptime, first: ['-s']}", "expected a program name, not a path"),
    ("{program: zpool, first: [scrub]}", "'scrub' changes state"),
    ("{program: zfs, first: ['--rollback']}", "'--rollback' changes state"),
    ("{program: uptime, first: []}", "List should have at least 1 item"),
    ("{program: uptime, first: ['-s; reboot']}", "is not a subcommand or option word"),
    ("{program: python3.12, first: ['-V']}", "can change a host or run other programs"),
    ("{program: uptime, first: ['-s'], values: shell}", "Input should be"),
])
def test_entries_that_could_change_a_host_are_refused(entry: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"host_commands\[0\]\.(program|first|values): .*"
                       + re.escape(problem)):
        parse_config(f"host_commands: [{entry}]")


def test_a_builtin_program_cannot_be_extended() -> None:
    cfg = parse_config("host_commands: [{program: systemctl, first: [list-units]}]")
    with pytest.raises(ValueError, match=r"host_commands\[0\].program: 'systemctl' is already"):
        commands.allow_user_commands(cfg.host_commands)


def test_user_commands_pass_the_same_guard() -> None:
    cfg = parse_config("host_commands: [{program: zpool, first: [status, list], values: word},"
                       " {program: lsattr, first: ['-d'], values: path}]")
    try:
        commands.allow_user_commands(cfg.host_commands)
        commands.guard_command("zpool status -x")
        commands.guard_command("zpool list -H -- %s", "tank")
        commands.guard_command("lsattr -d -- %s", "/etc/app")
        refused = [("zpool scrub %s", ("tank",)), ("zpool status %s", ("-v",)),
                   ("zpool status; reboot", ()), ("zpool get %s", ("all",)),
                   ("lsattr -d -- %s", ("etc/app",)), ("zfs list", ())]
        for template, values in refused:
            with pytest.raises(commands.CommandRefused):
                commands.guard_command(template, *values)
    finally:
        commands.allow_user_commands([])
    with pytest.raises(commands.CommandRefused, match="not on the read-only allowlist"):
        commands.guard_command("zpool status -x")  # one session's entries never leak


def _run(pytester: pytest.Pytester, yaml_text: str) -> dict:
    (pytester.path / "readiness.yaml").write_text(yaml_text)
    pytester.runpytest("--readiness", "--readiness-suite", "patching", "--readiness-json",
                       "out.json", "-p", "no:cacheprovider")
    (check,) = json.loads((pytester.path / "out.json").read_text())["checks"]
    return check


def test_the_documented_example_is_refused_then_allowed(pytester: pytest.Pytester) -> None:
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_patching.py").write_text(_example())
    base = "system: s\nhosts: [{name: here, connection: 'local://'}]\nchecks: [checks]\n"
    refused = _run(pytester, base)
    assert refused["outcome"] == "error"
    assert "refused host command 'uptime -s': 'uptime' is not on the read-only allowlist" in \
        refused["message"]
    allowed = _run(pytester, base + "host_commands: [{program: uptime, first: ['-s']}]\n")
    assert allowed["outcome"] == "pass", allowed["message"]
    up_days = float(Path("/proc/uptime").read_text().split()[0]) / 86400
    assert abs(allowed["evidence"]["days"] - up_days) <= 1


def test_a_user_command_that_hangs_costs_the_hosts_timeout(pytester: pytest.Pytester,
                                                           tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    host_stubs.hang(bin_dir, "zpool")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_patching.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.readiness(id='patching.pool', severity='low')\n"
        "def test_pool(host):\n"
        "    '''The pool answers.'''\n"
        "    assert host.run('zpool status -x').rc == 0\n")
    began = time.monotonic()
    check = _run(pytester, "system: s\nhosts: [{name: here, connection: 'local://', "
                           "timeout: 2}]\nchecks: [checks]\n"
                           "host_commands: [{program: zpool, first: [status]}]\n")
    took = time.monotonic() - began
    assert check["outcome"] == "error"
    assert "timed out" in check["message"]
    print(f"user command that hangs, timeout 2s: check {check['duration_s']:.2f}s, "
          f"run {took:.1f}s")
    assert check["duration_s"] < 2 + 2 + 10
    assert not host_stubs.running(bin_dir / "zpool")
