"""How the audit reaches its hosts: SSH host keys verified, never trust on first use.

The connections themselves are made in probes/hosts/connect.py; this module judges the
configuration of each host. Pure.
"""

from __future__ import annotations

from pytest_readiness.config import Host

SSH_SCHEMES = ("ssh", "safe-ssh", "paramiko", "ansible")


def scheme(host: Host) -> str:
    """``ssh://web1`` -> ``ssh``."""
    return host.connection.split("://", 1)[0]


def host_key_problem(host: Host) -> str | None:
    """Why the audit might talk to an impostor when it connects to ``host``, or None."""
    if not host.strict_host_key_checking:
        return (f"{host.name}: host key checking is off (strict_host_key_checking: false); "
                "the audit may talk to an impostor")
    if scheme(host) == "paramiko":
        return (f"{host.name}: the paramiko backend does not enforce known_hosts; use ssh:// "
                "for verified host keys")
    return None
