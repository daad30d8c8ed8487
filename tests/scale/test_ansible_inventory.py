"""Hosts from an Ansible inventory (``ansible://PATTERN`` + ``ansible_inventory``):
one target per inventory host, named as in the inventory, reached over SSH with
host keys verified and one connection per host."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.config import ConfigError, parse_config
from tests.scale.conftest import BROKEN, HOSTS, WARNED, audit, outcomes, write_audit
from tests.servers.sshd import SshFleet

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

# ansible-core is in the test extra; outside CI a missing one skips, in CI it fails.
try:
    import ansible  # noqa: F401
except ImportError:
    from tests.conftest import IN_CI

    if IN_CI:
        raise
    pytest.skip("ansible-core is needed for Ansible inventories", allow_module_level=True)


def write_inventory(path: Path, fleet: SshFleet) -> Path:
    """An INI inventory: h01-h04 in group web, h05-h08 in group db, all on 127.0.0.1."""
    lines = []
    for group, hosts in (("web", fleet.hosts[:4]), ("db", fleet.hosts[4:])):
        lines.append(f"[{group}]")
        lines += [f"{h.name} ansible_host=127.0.0.1 ansible_port={h.port} ansible_user=root"
                  for h in hosts]
        lines.append("")
    # The inventory asks for no host key checking; ours come first and win.
    lines += ["[all:vars]", f"ansible_ssh_private_key_file={fleet.identity}",
              "ansible_ssh_common_args='-o StrictHostKeyChecking=no'", ""]
    path.write_text("\n".join(lines))
    return path


def entry(inventory: Path, pattern: str = "all", **extra: object) -> dict[str, object]:
    return {"name": "inventory", "connection": f"ansible://{pattern}",
            "ansible_inventory": str(inventory), **extra}


def test_every_inventory_host_is_audited(fleet: SshFleet, pytester: pytest.Pytester) -> None:
    inventory = write_inventory(pytester.path / "hosts.ini", fleet)
    write_audit(pytester.path, [entry(inventory, known_hosts=str(fleet.known_hosts),
                                      timeout=10)])
    record = audit(pytester, fleet, "out.json", suites="scale,fleet")
    got = outcomes(record)
    facts = {target for (check, target) in got if check == "scale.fact"}
    assert facts == set(HOSTS)
    assert [c for c in record["checks"] if c["outcome"] == "fail"] == [
        c for c in record["checks"] if c["id"] == "scale.fact" and c["target"] == BROKEN
        and c["evidence"]["case"] == 0]
    assert sorted(c["target"] for c in record["checks"] if c["outcome"] == "warn") == [WARNED]
    for c in record["checks"]:
        if c["id"] == "scale.fact":
            assert c["evidence"]["kernel"] == "Linux"
            assert c["evidence"]["roles"] == (["web"] if c["target"] <= "h04" else ["db"])
    assert got[("fleet.kernel", "fleet")] == "pass"
    assert record["_logins"] == {name: 1 for name in HOSTS}  # one connection per host


def test_host_keys_verified_despite_the_inventory(fleet: SshFleet,
                                                 pytester: pytest.Pytester) -> None:
    inventory = write_inventory(pytester.path / "hosts.ini", fleet)
    empty = pytester.path / "known_hosts"
    empty.write_text("")
    write_audit(pytester.path, [entry(inventory, "h01", known_hosts=str(empty), timeout=5)])
    record = audit(pytester, fleet, "out.json")  # the inventory says StrictHostKeyChecking=no
    facts = [c for c in record["checks"] if c["id"] == "scale.fact"]
    assert {c["outcome"] for c in facts} == {"error"} and len(facts) == 4
    assert "host h01 (ansible://h01): host key verification failed" in facts[0]["message"]
    assert record["_logins"]["h01"] == 0


def test_pattern_selects_a_group_and_roles_follow_groups(fleet: SshFleet,
                                                         tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "hosts.ini", fleet)
    config = parse_config(f"hosts: [{{name: db, connection: 'ansible://db', "
                          f"ansible_inventory: '{inventory}'}}]")
    assert [(h.name, h.connection, h.roles) for h in config.hosts] == [
        (name, f"ansible://{name}", ["db"]) for name in HOSTS[4:]]
    config = parse_config(f"hosts: [{{name: x, connection: 'ansible://h0[12]', roles: [edge], "
                          f"ansible_inventory: '{inventory}', timeout: 3}}]")
    assert [(h.name, h.roles, h.timeout) for h in config.hosts] == [
        ("h01", ["edge"], 3), ("h02", ["edge"], 3)]


@pytest.mark.parametrize(("inventory_text", "pattern", "message"), [
    (None, "all", "hosts[0].ansible_inventory: inventory '{path}' does not exist"),
    ("[web\nh01 ansible_port=x\n", "all", "hosts[0].ansible_inventory: cannot read inventory"),
    ("[web]\nh01\n", "db", "hosts[0].ansible_inventory: no host of inventory '{path}' "
                           "matches 'db'"),
])
def test_bad_inventory_is_a_config_error(tmp_path: Path, inventory_text: str | None,
                                         pattern: str, message: str) -> None:
    path = tmp_path / "hosts.ini"
    if inventory_text is not None:
        path.write_text(inventory_text)
    with pytest.raises(ConfigError) as raised:
        parse_config(f"hosts: [{{name: x, connection: 'ansible://{pattern}', "
                     f"ansible_inventory: '{path}'}}]", "r.yaml")
    assert str(raised.value).startswith("r.yaml: " + message.format(path=path)), raised.value


def test_inventory_host_listed_twice_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text("[web]\nh01 ansible_host=127.0.0.1\n")
    with pytest.raises(ConfigError, match="h01"):
        parse_config(f"hosts: [{{name: x, connection: 'ansible://all', "
                     f"ansible_inventory: '{path}'}}, {{name: h01}}]")
