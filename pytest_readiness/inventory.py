"""Hosts from an Ansible inventory: one audited host per inventory host.

A ``hosts:`` entry whose connection is ``ansible://PATTERN`` and which names an
``ansible_inventory`` stands for every inventory host PATTERN matches (a host, a
group, ``all``, or an fnmatch pattern, as testinfra reads it). Each becomes a host
of its own, named as in the inventory, so targets and reports carry inventory
names; its roles are the entry's ``roles`` or, when none are given, the host's
inventory groups (fleet drift then compares hosts of one group).

The inventory is read with ``ansible-inventory --list`` through testinfra's
AnsibleRunner (cached per process, shared with the connections), so every format
and plugin Ansible reads works. Needs ``ansible-core`` installed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # config.py calls this module while it validates: no import back at run time
    from pytest_readiness.config import Host

_IMPLICIT_GROUPS = frozenset({"all", "ungrouped", "_meta"})


class InventoryError(ValueError):
    """An inventory that cannot be read, or a pattern that matches no host."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.where = f"hosts[{index}].ansible_inventory"


def is_inventory_entry(host: Host) -> bool:
    """True for an ``ansible://`` entry with an inventory: it expands into hosts."""
    return host.connection.startswith("ansible://") and bool(host.ansible_inventory)


def host_pattern(connection: str) -> str:
    """The host pattern of an ``ansible://`` connection (empty means ``all``)."""
    # Not urllib: a pattern such as "web[12]" is no IPv6 address.
    return connection.split("://", 1)[1].split("?", 1)[0] or "all"


def _runner(path: str) -> Any:
    from testinfra.utils.ansible_runner import AnsibleRunner

    return AnsibleRunner.get_runner(path)


def _groups_of(inventory: dict[str, Any], name: str) -> list[str]:
    from testinfra.utils.ansible_runner import itergroup

    return sorted(group for group in inventory if group not in _IMPLICIT_GROUPS
                  and name in set(itergroup(inventory, group)))


def inventory_hosts(path: str, pattern: str) -> dict[str, list[str]]:
    """Inventory host name -> its groups, for the hosts ``pattern`` matches."""
    runner = _runner(path)
    inventory = runner.inventory  # runs ansible-inventory once per path and process
    return {name: _groups_of(inventory, name) for name in runner.get_hosts(pattern)}


def _read(index: int, host: Host) -> dict[str, list[str]]:
    path = os.path.expanduser(host.ansible_inventory or "")
    if not os.path.exists(path):
        raise InventoryError(index, f"inventory {path!r} does not exist")
    try:
        found = inventory_hosts(path, host_pattern(host.connection))
    except FileNotFoundError:
        raise InventoryError(index, "ansible-inventory is not installed "
                             "(pip install ansible-core)") from None
    except (AssertionError, RuntimeError, ValueError) as exc:
        # testinfra asserts a zero exit status of ansible-inventory; keep its stderr short.
        detail = " ".join(str(exc).split())[-300:]
        raise InventoryError(index, f"cannot read inventory {path!r}: {detail}") from None
    if not found:
        raise InventoryError(index, f"no host of inventory {path!r} matches "
                             f"{host_pattern(host.connection)!r}")
    return found


def expand_inventories(hosts: list[Host]) -> list[Host]:
    """Replace every inventory entry by one host per inventory host it matches."""
    expanded: list[Host] = []
    for index, host in enumerate(hosts):
        if not is_inventory_entry(host):
            expanded.append(host)
            continue
        for name, groups in _read(index, host).items():
            expanded.append(host.model_copy(update={
                "name": name, "connection": f"ansible://{name}",
                "roles": list(host.roles) or groups}))
    return expanded
