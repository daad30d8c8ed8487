"""``--readiness-shard I/N``: a deterministic split of the checks across CI jobs.

Each check goes to shard ``sha256(key) mod N``. The key is the host a check
runs against (``host=<name>``), so one host's checks stay together and each
job opens one connection per host; a check without a host is keyed by its id
and target. The key never depends on the order of collection, the machine or
``PYTHONHASHSEED``, so every job (and every xdist worker inside a job) agrees
on the split, and the shards together hold every check exactly once.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from pytest_readiness.fixtures import result_target, target_of
from pytest_readiness.marker import META_KEY

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``; shards are numbered from 1."""
    match = _SHARD.match(str(text))
    if not match:
        raise ValueError(f"--readiness-shard: expected I/N such as 1/3 (got {text!r})")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--readiness-shard: expected 1 <= I <= N (got {text!r})")
    return index, count


def shard_key(check_id: str, target: str | None, host: str | None) -> str:
    if host is not None:
        return f"host={host}"
    return f"{check_id}[{target}]" if target else check_id


def shard_of(key: str, count: int) -> int:
    """The 1-based shard a key belongs to."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def item_key(item: pytest.Item) -> str:
    meta = item.stash.get(META_KEY, None)
    host = target_of(item).host
    check_id = meta.id if meta is not None else item.nodeid
    return shard_key(check_id, result_target(item), host.name if host is not None else None)


def select_shard(config: pytest.Config, items: list[pytest.Item], index: int, count: int) -> None:
    """Keep the items of shard ``index``; deselect the others (reported as deselected)."""
    if count == 1:
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (keep if shard_of(item_key(item), count) == index else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
