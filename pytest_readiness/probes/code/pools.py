"""Database connection pools declared in code: their size, overflow, and whether they are explicit.

Every ``create_engine`` / ``create_async_engine`` / ``asyncpg.create_pool`` /
``psycopg_pool`` pool call becomes one row: the database suite can add the rows
up and compare them with the server's ``max_connections``. No pytest here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.tree import context_of
from pytest_readiness.vocabulary import Level

# call -> (size keyword, overflow/max keyword, default size, default overflow or max)
ENGINES = ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine",
           "sqlalchemy.ext.asyncio.create_async_engine")
ASYNCPG = ("asyncpg.create_pool", "asyncpg.pool.create_pool")
PSYCOPG = ("psycopg_pool.ConnectionPool", "psycopg_pool.AsyncConnectionPool",
           "psycopg_pool.NullConnectionPool", "psycopg_pool.AsyncNullConnectionPool")
DEFAULTS = {"sqlalchemy": (5, 10), "asyncpg": (10, 10), "psycopg_pool": (4, None)}
NO_POOL = ("NullPool", "StaticPool", "SingletonThreadPool", "AssertionPool")


@dataclass(frozen=True)
class Pool:
    file: str
    line: int
    call: str
    pool_size: int | str | None  # connections kept (SQLAlchemy pool_size, asyncpg max_size...)
    max_overflow: int | str | None  # connections beyond pool_size, at peak
    explicit: bool  # both values written at the call site (not library defaults)
    max_connections: int | str | None  # what this one pool can open at peak
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value(node: ast.expr | None) -> int | str | None:
    """An int literal, or the source of the expression (``settings.POOL_SIZE``)."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return ast.unparse(node)


def _peak(size: int | str | None, extra: int | str | None) -> int | str | None:
    if isinstance(size, int) and isinstance(extra, int):
        return size + extra
    if size is None and extra is None:
        return None
    return f"{size} + {extra}"


def _sqlalchemy(call: pyast.CallSite, rel: str) -> Pool:
    url = pyast.const_str(call.arg(0, "url")) or ""
    poolclass = call.keyword("poolclass")
    pool_name = pyast.tail(ast.unparse(poolclass)) if poolclass is not None else ""
    if pool_name in NO_POOL or url.startswith("sqlite"):
        note = f"poolclass {pool_name}" if pool_name else "sqlite: no QueuePool"
        return Pool(rel, call.line, call.name, 0 if pool_name == "NullPool" else None, 0,
                    True, None, note)
    size, overflow = call.keyword("pool_size"), call.keyword("max_overflow")
    d_size, d_over = DEFAULTS["sqlalchemy"]
    size_v = _value(size) if size is not None else d_size
    over_v = _value(overflow) if overflow is not None else d_over
    note = "" if size is not None and overflow is not None else \
        "SQLAlchemy default pool_size=5, max_overflow=10"
    return Pool(rel, call.line, call.name, size_v, over_v, size is not None and
                overflow is not None, _peak(size_v, over_v), note)


def _min_max(call: pyast.CallSite, rel: str, library: str) -> Pool:
    low, high = call.keyword("min_size"), call.keyword("max_size")
    d_min, d_max = DEFAULTS[library]
    min_v = _value(low) if low is not None else d_min
    max_v = _value(high) if high is not None else (d_max if d_max is not None else min_v)
    extra: int | str | None
    if isinstance(max_v, int) and isinstance(min_v, int):
        extra = max_v - min_v
    else:
        extra = f"{max_v} - {min_v}"
    explicit = high is not None and low is not None
    note = "" if explicit else (f"{library} defaults min_size={d_min}, max_size="
                                f"{d_max if d_max is not None else 'min_size'}")
    return Pool(rel, call.line, call.name, min_v, extra, explicit, max_v, note)


def pools(modules: Iterable[pyast.Module]) -> list[Pool]:
    found = []
    for module in modules:
        for call in module.calls:
            if call.name in ENGINES:
                found.append(_sqlalchemy(call, module.rel))
            elif call.name in ASYNCPG:
                found.append(_min_max(call, module.rel, "asyncpg"))
            elif call.name in PSYCOPG:
                found.append(_min_max(call, module.rel, "psycopg_pool"))
    return found


def total_peak(found: Iterable[Pool]) -> int | None:
    """Connections all pools can open at peak, per process; None when one is not a literal."""
    total = 0
    for pool in found:
        if pool.max_connections is None:
            continue
        if not isinstance(pool.max_connections, int):
            return None
        total += pool.max_connections
    return total


def live(found: Iterable[Pool]) -> list[Pool]:
    """Pools created in live code (not in tests, docs or templates)."""
    return [p for p in found if context_of(p.file) == "code"]


def default_size_findings(found: Iterable[Pool]) -> list[Finding]:
    """Pools sized by the library's defaults: a warning (the defaults may be right)."""
    return [Finding("", f"{p.call}() uses defaults: {p.note} (peak {p.max_connections})",
                    p.file, p.line, level=Level.WARNING) for p in found if not p.explicit]
