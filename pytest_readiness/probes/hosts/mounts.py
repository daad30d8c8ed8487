"""Mounts on hosts: is a path a mount point, of which file-system type, how big and how
full. Read-only: ``cat /proc/mounts`` and ``stat -f`` (statvfs, what ``df`` reports).
The parsers are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pytest_readiness.outcomes import CheckError

GB = 1024**3
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class MountEntry:
    device: str
    point: str
    fstype: str
    options: tuple[str, ...]


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_proc_mounts(text: str) -> list[MountEntry]:
    """Lines of /proc/mounts (fstab(5) format) -> entries, in mount order."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            entries.append(MountEntry(_unescape(fields[0]), _unescape(fields[1]), fields[2],
                                      tuple(fields[3].split(","))))
    return entries


def _normal(path: str) -> str:
    return "/" + "/".join(part for part in path.split("/") if part and part != ".")


def covering(entries: list[MountEntry], path: str) -> MountEntry | None:
    """The mount a path lives on: the last-mounted entry whose point is the path or its
    deepest ancestor (a later mount over the same point hides the earlier one)."""
    target = _normal(path)
    best: MountEntry | None = None
    for entry in entries:
        point = _normal(entry.point)
        inside = target == point or point == "/" or target.startswith(point + "/")
        if inside and (best is None or len(point) >= len(_normal(best.point))):
            best = entry
    return best


def is_mount_point(entries: list[MountEntry], path: str) -> MountEntry | None:
    found = covering(entries, path)
    return found if found is not None and _normal(found.point) == _normal(path) else None


@dataclass(frozen=True)
class Space:
    """statvfs of a path: total size and the space available to unprivileged users."""

    size_bytes: int
    available_bytes: int
    fstype: str

    @property
    def free_percent(self) -> float:
        return 100.0 * self.available_bytes / self.size_bytes if self.size_bytes else 0.0


def parse_statfs(text: str) -> Space:
    """``stat -f -c '%S|%b|%a|%T'``: block size, blocks, blocks available, type."""
    line = next((each for each in text.splitlines() if each.strip()), "")
    parts = line.split("|")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise ValueError(f"stat -f answered {line[:120]!r}, not 'size|blocks|available|type'")
    block, blocks, available = (int(p) for p in parts[:3])
    return Space(block * blocks, block * available, parts[3].strip())


def read_mounts(host: Any) -> list[MountEntry]:
    out = host.run("cat /proc/mounts")
    if out.rc != 0 or not str(out.stdout).strip():
        raise CheckError(f"cannot read /proc/mounts: {str(out.stderr).strip()[:200] or out.rc}")
    return parse_proc_mounts(str(out.stdout))


def read_space(host: Any, path: str) -> Space:
    out = host.run("stat -f -L -c '%%S|%%b|%%a|%%T' -- %s", path)
    if out.rc != 0:
        raise CheckError(f"stat -f {path}: {str(out.stderr).strip()[:200] or out.rc}")
    try:
        return parse_statfs(str(out.stdout))
    except ValueError as exc:
        raise CheckError(str(exc)) from None


def gb(size_bytes: int) -> str:
    return f"{size_bytes / GB:.1f} GB"
