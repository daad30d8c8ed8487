"""Database connection pools: sized on purpose, so they fit the server's max_connections."""

from __future__ import annotations

import pytest

from pytest_readiness import Recorder
from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import pools

pytestmark = pytest.mark.readiness(section="Database Connection Pools", category="performance")


@pytest.mark.readiness(id="pools.explicit-size", severity="medium",
                       fix="Set pool_size and max_overflow (SQLAlchemy) or min_size and max_size "
                           "(asyncpg, psycopg_pool) explicitly, sized so that processes x peak "
                           "stays under the server's max_connections")
def test_pool_sizes_are_explicit(inventory: Inventory, readiness: Recorder) -> None:
    """Every connection pool sets its size and overflow explicitly."""
    found = pools.live(pools.pools(pyast.modules(inventory)))
    if not found:
        pytest.skip("not applicable: no create_engine / create_pool / ConnectionPool call")
    readiness.evidence(pools=[p.to_dict() for p in found], peak_per_process=pools.total_peak(found))
    readiness.conclude([*pools.default_size_findings(found), *pyast.not_analysed(inventory)],
                       "pool(s) sized by library defaults",
                       warning=pyast.said("pool(s) sized by library defaults"), code=True)
