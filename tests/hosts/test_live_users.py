"""Runtime users (issue 16.7): services' effective User= (systemctl show, else the unit
file) and running containers' user (docker ps + docker inspect); root warns.

The hosts' ``docker`` is a stub on their PATH that answers ``ps`` and ``inspect`` as a
Docker CLI would and logs every argument vector it receives, so the test sees that only
those two read-only subcommands ever reached it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pytest_readiness.plumbing import unitfile
from pytest_readiness.probes.hosts import commands, containers
from tests.hosts.conftest import LiveLab, check_of, run_live

IDS = {"web": "a" * 64, "worker": "b" * 64}
USERS = {"m1": {"web": "app", "worker": "1000:1000"}, "m2": {"web": "", "worker": "0:0"}}
SYSTEMCTL_RUNNING = """#!/bin/sh
# systemd runs on this host; app.service runs as "app"
case "$1" in
  is-system-running) echo running ;;
  show) printf 'LoadState=loaded\\nUser=app\\nDynamicUser=no\\nRestart=on-failure\\n' ;;
  *) exit 1 ;;
esac
"""


def docker_stub(log: Path, users: dict[str, str]) -> str:
    ps = "".join(f"{IDS[n]}|{n}|shop/{n}:1\\n" for n in IDS)
    inspect = "".join(f"{IDS[n]}|/{n}|{users[n]}\\n" for n in IDS)
    return ("#!/bin/sh\n"
            f"printf '%s\\n' \"$*\" >> {shlex.quote(str(log))}\n"
            'case "$1" in\n'
            f"  ps) printf '{ps}' ;;\n"
            f"  inspect) printf '{inspect}' ;;\n"
            "  *) echo 'unexpected' >&2; exit 2 ;;\n"
            "esac\n")


@pytest.fixture
def stubs(live: LiveLab, tmp_path: Path):
    made = []
    for name in ("m1", "m2"):
        stub = live.bin(name) / "docker"
        stub.write_text(docker_stub(tmp_path / f"{name}.log", USERS[name]))
        stub.chmod(0o755)
        made.append(stub)
    systemctl = live.bin("m1") / "systemctl"
    systemctl.write_text(SYSTEMCTL_RUNNING)
    systemctl.chmod(0o755)
    made.append(systemctl)
    yield tmp_path
    for stub in made:
        stub.unlink()


def test_parsers_and_root() -> None:
    found = containers.parse_ps(f"{IDS['web']}|web|shop/web:1\nnot a line\n")
    assert [(c.id, c.name, c.image) for c in found] == [(IDS["web"], "web", "shop/web:1")]
    assert containers.parse_inspect(f"{IDS['web']}|/web|app\n") == {IDS["web"]: "app"}
    assert [containers.Container("x", "x", user=u).runs_as_root
            for u in ("", "root", "0", "0:0", "root:app", "app", "1000:0")] == [
        True, True, True, True, True, False, False]
    facts = unitfile.facts_from_unit("a.service", unitfile.parse_unit(
        "[Service]\nUser=app\nUser=\nDynamicUser=yes\n"), "a.service")
    assert (facts.user, facts.dynamic_user, unitfile.runs_as_root(facts)) == ("", True, False)


def test_units_and_containers_running_as_root_warn(live: LiveLab, stubs: Path,
                                                   pytester: pytest.Pytester) -> None:
    config = {"hosts": live.entries(), "services": [{"unit": "app.service"}]}
    record = run_live(pytester, config, "services", "containers",
                      extra=("-k", "runtime_user or unprivileged or not_run_as_root"))
    m1 = check_of(record, "services.runtime-user", "m1:app.service")
    assert m1["outcome"] == "pass", m1["message"]
    assert (m1["evidence"]["user"], m1["evidence"]["source"]) == ("app", "systemctl show")
    m2 = check_of(record, "services.runtime-user", "m2:app.service")
    assert m2["outcome"] == "warn"
    assert m2["message"] == "m2:app.service runs as root (no User=)"
    assert m2["evidence"]["read_from"] == ["/etc/systemd/system/app.service"]
    good = check_of(record, "containers.runtime-user", "m1")
    assert good["outcome"] == "pass", good["message"]
    assert good["evidence"]["users"] == {"web": "app", "worker": "1000:1000"}
    bad = check_of(record, "containers.runtime-user", "m2")
    assert bad["outcome"] == "warn"
    assert bad["message"] == "m2: container(s) running as root: web (shop/web:1), " \
                             "worker (shop/worker:1)"
    for name in ("m1", "m2"):  # only docker ps and docker inspect ever ran
        calls = (stubs / f"{name}.log").read_text().splitlines()
        assert [c.split()[0] for c in calls] == ["ps", "inspect"], calls
        assert calls[1].endswith(f"-- {IDS['web']} {IDS['worker']}")


def test_expected_user_differs_fails(live: LiveLab, stubs: Path,
                                     pytester: pytest.Pytester) -> None:
    config = {"hosts": live.entries("m2"), "services": [{"unit": "app.service", "user": "app"}]}
    record = run_live(pytester, config, "services", extra=("-k", "unprivileged"))
    check = check_of(record, "services.runtime-user", "m2:app.service")
    assert check["outcome"] == "fail"
    assert check["message"] == "m2:app.service runs as root (no User=), expected app"


@pytest.mark.parametrize(("template", "values"), [
    ("docker run --rm alpine id", ()), ("docker exec %s id", (IDS["web"],)),
    ("docker rm -f %s", (IDS["web"],)), ("docker stop %s", ("web",)), ("docker kill web", ()),
    ("docker start web", ()), ("docker cp web:/etc/passwd /tmp/x", ()),
    ("docker container rm web", ()), ("docker system prune -f", ()),
    ("docker -H tcp://10.0.0.1:2375 ps", ()), ("docker --context prod ps", ()),
    ("docker inspect %s", ("--help",)), ("docker inspect -- %s", ("$(touch /tmp/x)",)),
    ("docker inspect -- %s", ("../../etc",)), ("docker ps; docker rm web", ()),
    ("docker ps && docker rm web", ()), ("docker inspect -- %s", ("web\nrm",)),
])
def test_docker_is_allowed_to_read_only(template: str, values: tuple[str, ...]) -> None:
    with pytest.raises(commands.CommandRefused):
        commands.guard_command(template, *values)


def test_the_reads_the_check_uses_pass_the_guard() -> None:
    commands.guard_command(f"docker ps --no-trunc --format '{containers.PS_FORMAT}'")
    commands.guard_command(f"docker inspect --format '{containers.INSPECT_FORMAT}' -- %s %s",
                           IDS["web"], "worker")
    commands.guard_command("docker version")
