"""Mounts on hosts (issue 16.3): mount point, file-system type, size, free space.

On m1 the path is a tmpfs mount (a /dev/shm directory bound over it in m1's mount
namespace); on m2 the same path is a plain directory of the root file system.
"""

from __future__ import annotations

import os

import pytest

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.probes.hosts import mounts
from tests.hosts.conftest import LiveLab, check_of, run_live

PROC_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /run tmpfs rw,nosuid 0 0
/dev/sdb1 /srv/data\\040files xfs rw 0 0
server:/export /srv/data\\040files nfs4 rw 0 0
"""


def test_parse_and_find_the_covering_mount() -> None:
    entries = mounts.parse_proc_mounts(PROC_MOUNTS)
    assert entries[2].point == "/srv/data files"
    top = mounts.is_mount_point(entries, "/srv/data files/")
    assert top is not None and top.fstype == "nfs4"  # the later mount hides the earlier
    assert mounts.is_mount_point(entries, "/srv") is None
    assert mounts.covering(entries, "/srv/other").point == "/"
    assert mounts.covering(entries, "/runner").point == "/"  # not inside /run


def test_parse_statfs() -> None:
    space = mounts.parse_statfs("4096|1000|250|ext2/ext3\n")
    assert (space.size_bytes, space.available_bytes, space.free_percent) == (
        4_096_000, 1_024_000, 25.0)
    with pytest.raises(ValueError, match="not 'size|blocks|available|type'"):
        mounts.parse_statfs("stat: cannot read file system information\n")


def test_mount_point_type_size_and_free_space(live: LiveLab, pytester: pytest.Pytester) -> None:
    path = live.paths["mount"]
    shm = os.statvfs("/dev/shm")
    size_gb = shm.f_frsize * shm.f_blocks / mounts.GB
    config = {"hosts": live.entries(), "mounts": [
        {"path": path, "fstype": ["ext4", "tmpfs"], "min_size_gb": round(size_gb / 2, 1),
         "min_free_percent": 50},
        {"path": path + "/", "fstype": "xfs", "hosts": ["m1"],
         "min_free_gb": round(size_gb * 4)}]}
    record = run_live(pytester, config, "mounts")
    good = check_of(record, "mounts.mounted", f"m1:{path}")
    assert good["outcome"] == "pass", good["message"]
    assert good["evidence"]["fstype"] == "tmpfs"
    capacity = check_of(record, "mounts.capacity", f"m1:{path}")
    assert capacity["outcome"] == "pass", capacity["message"]
    assert capacity["evidence"]["size_gb"] == pytest.approx(size_gb, rel=0.01)
    missing = check_of(record, "mounts.mounted", f"m2:{path}")
    assert missing["outcome"] == "fail"
    assert missing["message"].startswith(f"{path} on m2 is not a mount point: it lives on /")
    wrong = check_of(record, "mounts.mounted", f"m1:{path}/")
    assert wrong["message"] == f"{path}/ on m1 is tmpfs, expected xfs"
    full = check_of(record, "mounts.capacity", f"m1:{path}/")
    assert full["outcome"] == "fail"
    assert f"GB free < {round(size_gb * 4)} GB" in full["message"]


def test_mount_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"mounts\[0\].min_free_percent: "):
        parse_config("mounts: [{path: /srv, min_free_percent: 150}]")
    with pytest.raises(ConfigError, match=r"mounts\[0\].hosts: host 'x' is not defined"):
        parse_config("mounts: [{path: /srv, hosts: [x]}]")
    assert parse_config("mounts: [{path: /srv, fstype: xfs}]").mounts[0].fstype == ["xfs"]
