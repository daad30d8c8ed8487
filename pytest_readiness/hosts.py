"""Connections to audited hosts through testinfra backends."""

from __future__ import annotations

import functools
from typing import Any

from pytest_readiness.config import Host


@functools.cache
def connect(host: Host) -> Any:
    """A testinfra Host for a configured host, cached per process."""
    import testinfra

    kwargs: dict[str, Any] = {"sudo": host.sudo}
    for key in ("ssh_config", "ssh_identity_file", "ssh_extra_args", "ansible_inventory"):
        if getattr(host, key):
            kwargs[key] = getattr(host, key)
    return testinfra.get_host(host.connection, **kwargs)
