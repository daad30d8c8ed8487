"""Mounts: configured paths on hosts are mount points of the expected type, size and room."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import HostMount, Recorder
from pytest_readiness.probes.hosts import mounts

pytestmark = pytest.mark.readiness(section="Mounts", category="resilience")


@pytest.mark.readiness(id="mounts.mounted", severity="high",
                       fix="Mount the file system at boot (an /etc/fstab line or a .mount unit "
                           "with the expected type), so data never lands on the root disk")
def test_path_is_a_mount_point_of_the_expected_type(host: Any, host_mount: HostMount,
                                                    readiness: Recorder) -> None:
    """The path is a mount point (/proc/mounts), of one of the expected file-system types."""
    spec, name = host_mount.spec, host_mount.host.name
    entries = mounts.read_mounts(host)
    mounted = mounts.is_mount_point(entries, spec.path)
    under = mounts.covering(entries, spec.path)
    readiness.evidence(path=spec.path, mounted=mounted is not None,
                       fstype=mounted.fstype if mounted else None,
                       device=mounted.device if mounted else None,
                       lives_on=under.point if under and not mounted else None,
                       expected_fstype=spec.fstype)
    assert mounted, (f"{spec.path} on {name} is not a mount point: it lives on "
                     + (f"{under.point} ({under.fstype})" if under else "an unknown mount"))
    assert not spec.fstype or mounted.fstype in spec.fstype, (
        f"{spec.path} on {name} is {mounted.fstype}, expected {' or '.join(spec.fstype)}")


@pytest.mark.readiness(id="mounts.capacity", severity="medium", category="operations",
                       fix="Grow the file system, or free space (logs, old releases, backups "
                           "kept locally), before it fills")
def test_mount_size_and_free_space(host: Any, host_mount: HostMount, readiness: Recorder) -> None:
    """The file system at the path has the minimum size and free space (statvfs, as df)."""
    spec, name = host_mount.spec, host_mount.host.name
    if spec.min_size_gb is None and spec.min_free_gb is None and spec.min_free_percent is None:
        pytest.skip(f"not applicable: no min_size_gb / min_free_gb / min_free_percent for "
                    f"{spec.path}")
    space = mounts.read_space(host, spec.path)
    readiness.evidence(path=spec.path, size_gb=round(space.size_bytes / mounts.GB, 2),
                       available_gb=round(space.available_bytes / mounts.GB, 2),
                       free_percent=round(space.free_percent, 1), fstype=space.fstype)
    short = []
    if spec.min_size_gb is not None and space.size_bytes < spec.min_size_gb * mounts.GB:
        short.append(f"size {mounts.gb(space.size_bytes)} < {spec.min_size_gb:g} GB")
    if spec.min_free_gb is not None and space.available_bytes < spec.min_free_gb * mounts.GB:
        short.append(f"{mounts.gb(space.available_bytes)} free < {spec.min_free_gb:g} GB")
    if spec.min_free_percent is not None and space.free_percent < spec.min_free_percent:
        short.append(f"{space.free_percent:.1f}% free < {spec.min_free_percent:g}%")
    assert not short, f"{spec.path} on {name}: " + "; ".join(short)
