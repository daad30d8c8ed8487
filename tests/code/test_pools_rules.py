"""Connection pools: values, defaults per library, the evidence table."""

from __future__ import annotations

from pytest_readiness.probes.code import pools
from tests.code.conftest import module_of


def rows(source: str) -> list[tuple]:
    return [(p.call.rsplit(".", 1)[-1], p.pool_size, p.max_overflow, p.explicit, p.max_connections)
            for p in pools.pools([module_of(source)])]


def test_sqlalchemy_explicit_default_and_expressions() -> None:
    assert rows('''
        from sqlalchemy import create_engine
        from sqlalchemy.ext.asyncio import create_async_engine as cae
        from sqlalchemy.pool import NullPool
        create_engine(URL, pool_size=20, max_overflow=5)
        create_engine(URL)
        cae(URL, pool_size=settings.POOL, max_overflow=0)
        create_engine("sqlite:///x.db")
        create_engine(URL, poolclass=NullPool)
        ''') == [
        ("create_engine", 20, 5, True, 25),
        ("create_engine", 5, 10, False, 15),
        ("create_async_engine", "settings.POOL", 0, True, "settings.POOL + 0"),
        ("create_engine", None, 0, True, None),
        ("create_engine", 0, 0, True, None),
    ]


def test_asyncpg_and_psycopg_pool_defaults() -> None:
    assert rows('''
        import asyncpg
        from psycopg_pool import ConnectionPool, AsyncConnectionPool
        async def main():
            await asyncpg.create_pool(DSN)
            await asyncpg.create_pool(DSN, min_size=2, max_size=8)
        ConnectionPool(DSN)
        AsyncConnectionPool(DSN, min_size=1, max_size=4)
        ''') == [
        ("create_pool", 10, 0, False, 10),
        ("create_pool", 2, 6, True, 8),
        ("ConnectionPool", 4, 0, False, 4),
        ("AsyncConnectionPool", 1, 3, True, 4),
    ]


def test_total_peak() -> None:
    found = pools.pools([module_of("import asyncpg\nasyncpg.create_pool(D)\n"
                                   "from sqlalchemy import create_engine\ncreate_engine(D)\n")])
    assert pools.total_peak(found) == 25


def test_suite_table_and_outcomes(run_suite) -> None:
    run = run_suite("pools", {
        "app/db.py": "from sqlalchemy import create_engine\n"
                     "engine = create_engine(URL, pool_size=10, max_overflow=2)\n",
        "app/jobs.py": "import asyncpg\nasync def f():\n    await asyncpg.create_pool(URL)\n",
        "tests/test_db.py": "from sqlalchemy import create_engine\ncreate_engine(URL)\n",
    })
    check = run.check("pools.explicit-size")
    assert check["outcome"] == "warn"
    table = [{k: p[k] for k in ("file", "line", "call", "pool_size", "max_overflow", "explicit")}
             for p in check["evidence"]["pools"]]
    assert table == [
        {"file": "app/db.py", "line": 2, "call": "sqlalchemy.create_engine", "pool_size": 10,
         "max_overflow": 2, "explicit": True},
        {"file": "app/jobs.py", "line": 3, "call": "asyncpg.create_pool", "pool_size": 10,
         "max_overflow": 0, "explicit": False},
    ]
    assert check["evidence"]["peak_per_process"] == 22


def test_suite_passes_when_explicit_and_skips_without_pools(run_suite, pytester) -> None:
    run = run_suite("pools", {"app/db.py": "import asyncpg\n"
                                 "asyncpg.create_pool(U, min_size=1, max_size=5)\n"})
    assert run.outcome("pools.explicit-size") == "pass"
    (pytester.path / "code" / "app" / "db.py").write_text("x = 1\n")
    run = run_suite("pools", {})
    assert run.outcome("pools.explicit-size") == "skip"
