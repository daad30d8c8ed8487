"""units.user: services in the tree's unit files that run as root (issue 15.10)."""

from __future__ import annotations

import pytest

from pytest_readiness.plumbing.unitfile import facts_from_unit, parse_unit
from pytest_readiness.probes.deployment import units


def judged(text: str, name: str = "app.service", socket: bool = False) -> list[tuple[str, str]]:
    facts = facts_from_unit(name, parse_unit(text), "deploy/" + name)
    return [(f.level, f.message) for f in units.user_findings("deploy/" + name, facts, socket)]


@pytest.mark.parametrize("exec_start,why", [
    ("/opt/app/venv/bin/gunicorn -w 4 app.wsgi", "gunicorn"),
    ("/usr/bin/env uvicorn orders.app:app", "uvicorn"),
    ("/usr/bin/python3 -m uvicorn orders.app:app", "uvicorn"),
    ("/usr/bin/java -Xmx1g -jar /opt/app.jar", "java -jar"),
    ("/opt/app/bin/server --port 8080", "--port"),
    ("/opt/app/bin/server --bind 0.0.0.0:9000", "--bind"),
    ("/opt/app/bin/server -listen-addr 0.0.0.0:9000", "0.0.0.0:9000"),
    ("/opt/app/manage.py runserver", "runserver"),
])
def test_network_service_as_root_is_an_error(exec_start: str, why: str) -> None:
    found = judged(f"[Service]\nExecStart={exec_start}\n")
    assert [level for level, _ in found] == ["error"]
    assert why in found[0][1]


def test_socket_unit_and_network_target_make_a_network_service() -> None:
    assert judged("[Service]\nExecStart=/opt/app/bin/worker\n", socket=True)[0][0] == "error"
    found = judged("[Unit]\nAfter=network-online.target\n[Service]\nExecStart=/opt/w\n")
    assert found[0][0] == "error" and "network-online.target" in found[0][1]


@pytest.mark.parametrize("text,levels", [
    ("[Service]\nExecStart=/opt/app/bin/worker\n", ["warning"]),  # not a network service
    ("[Unit]\nAfter=network.target\n[Service]\nType=oneshot\nExecStart=/opt/backup.sh\n",
     ["warning"]),  # a one-shot job ordered after the network does not listen
    ("[Service]\nUser=app\nExecStart=/opt/venv/bin/gunicorn app\n", []),
    ("[Service]\nDynamicUser=yes\nExecStart=/opt/venv/bin/gunicorn app\n", []),
    ("[Service]\nUser=root\nExecStart=/opt/venv/bin/gunicorn app\n", ["error"]),
    ("[Service]\nType=oneshot\nExecStart=/usr/bin/docker compose up -d\n", ["note"]),
    ("[Unit]\nDescription=a timer\n[Timer]\nOnCalendar=daily\n", []),  # not a service
])
def test_levels(text: str, levels: list[str]) -> None:
    name = "app.timer" if "[Timer]" in text else "app.service"
    assert [level for level, _ in judged(text, name)] == levels


def test_drop_in_user_counts(tmp_path) -> None:
    unit = tmp_path / "app.service"
    unit.write_text("[Service]\nExecStart=/opt/venv/bin/gunicorn app\n")
    (tmp_path / "app.service.d").mkdir()
    (tmp_path / "app.service.d" / "user.conf").write_text("[Service]\nUser=app\n")
    facts = units.read_unit_file(unit, "app.service").facts
    assert units.user_findings("app.service", facts, False) == []


@pytest.mark.slow
def test_suite_judges_each_unit_file_with_its_socket(run_suite) -> None:
    service = "[Service]\nExecStart=/opt/app/bin/worker --threads 4\n"
    run = run_suite("units", {
        "deploy/api.service": service, "deploy/api.socket": "[Socket]\nListenStream=8080\n",
        "deploy/worker.service": service,
        "deploy/app.service": "[Service]\nUser=app\nExecStart=/opt/venv/bin/uvicorn app:app\n",
    })
    assert run.outcome("units.user", "deploy/api.service") == "fail"  # socket-activated
    assert run.outcome("units.user", "deploy/worker.service") == "warn"
    assert run.outcome("units.user", "deploy/app.service") == "pass"
    assert run.check("units.user", "deploy/worker.service")["evidence"]["programs"] == ["worker"]
