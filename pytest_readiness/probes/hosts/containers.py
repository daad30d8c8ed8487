"""Containers on hosts: the user each running container runs as, read with the Docker CLI
(``docker ps`` and ``docker inspect`` only: both read, neither changes a container; the
allowlist in commands.py admits no other docker subcommand). The parsers are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pytest_readiness.outcomes import CheckError

# docker ps/inspect output: one line per container, fields separated by "|".
PS_FORMAT = "{{.ID}}|{{.Names}}|{{.Image}}"
INSPECT_FORMAT = "{{.Id}}|{{.Name}}|{{.Config.User}}"
MAX_CONTAINERS = 200
_ID = re.compile(r"[0-9a-f]{12,64}")


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    image: str = ""
    user: str | None = None  # Config.User as inspect says ("" : the image's default, root)

    @property
    def runs_as_root(self) -> bool:
        """No user (the default is root unless the image's USER says otherwise; inspect's
        Config.User is the effective setting), or root / UID 0, with or without a group."""
        who = (self.user or "").split(":", 1)[0].strip()
        return who in ("", "root", "0")


def parse_ps(text: str) -> list[Container]:
    """``docker ps --no-trunc --format 'ID|Names|Image'`` lines -> containers."""
    found = []
    for line in text.splitlines():
        parts = line.strip().split("|", 2)
        if len(parts) == 3 and _ID.fullmatch(parts[0]):
            found.append(Container(parts[0], parts[1], parts[2]))
    return found


def parse_inspect(text: str) -> dict[str, str]:
    """``docker inspect --format 'Id|Name|Config.User'`` lines -> {id: user}."""
    users = {}
    for line in text.splitlines():
        parts = line.strip().split("|", 2)
        if len(parts) == 3 and _ID.fullmatch(parts[0]):
            users[parts[0]] = parts[2].strip()
    return users


def docker_installed(host: Any) -> bool:
    return bool(host.run("command -v %s", "docker").rc == 0)


def running_containers(host: Any) -> list[Container]:
    """Running containers with the user each runs as (two read-only docker calls)."""
    ps = host.run(f"docker ps --no-trunc --format '{PS_FORMAT}'")
    if ps.rc != 0:
        said = str(ps.stderr).strip().splitlines()
        raise CheckError("docker ps failed: " + (said[0][:200] if said else f"exit {ps.rc}"))
    containers = parse_ps(str(ps.stdout))[:MAX_CONTAINERS]
    if not containers:
        return []
    ids = [c.id for c in containers]
    out = host.run(f"docker inspect --format '{INSPECT_FORMAT}' -- " + " ".join(["%s"] * len(ids)),
                   *ids)
    if out.rc != 0:
        said = str(out.stderr).strip().splitlines()
        raise CheckError("docker inspect failed: " + (said[0][:200] if said else f"exit {out.rc}"))
    users = parse_inspect(str(out.stdout))
    return [Container(c.id, c.name, c.image, users.get(c.id)) for c in containers]
