"""Database connection pools: sized on purpose, so they fit the server's max_connections."""

from __future__ import annotations

import pytest

from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.probes.code import pools

pytestmark = pytest.mark.readiness(section="Database Connection Pools", category="performance")


@pytest.mark.readiness(id="pools.explicit-size", severity="medium",
                       fix="Set pool_size and max_overflow (SQLAlchemy) or min_size and max_size "
                           "(asyncpg, psycopg_pool) explicitly, sized so that processes x peak "
                           "stays under the server's max_connections")
def test_pool_sizes_are_explicit(codebase, inventory, readiness):
    """Every connection pool sets its size and overflow explicitly."""
    found = [p for p in pools.pools(pyast.modules(inventory))
             if suppress.CodeFinding("", "", p.file).context == "code"]
    if not found:
        pytest.skip("not applicable: no create_engine / create_pool / ConnectionPool call")
    readiness.evidence(pools=[p.to_dict() for p in found], peak_per_process=pools.total_peak(found))
    findings = [suppress.CodeFinding(
        "pools.default-size", f"{p.call}() uses defaults: {p.note} (peak {p.max_connections})",
        p.file, p.line, level="warning") for p in found if not p.explicit]
    published = suppress.publish_codebase(readiness, codebase, inventory, findings,
                                          "pools.explicit-size")
    if published.warnings:
        readiness.warn(f"{len(published.warnings)} pool(s) sized by library defaults: "
                       + published.summary(published.warnings, 5))
