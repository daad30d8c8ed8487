"""Databases: PostgreSQL answers in time, has room for the pools and uses TLS; SQLite is intact.

Connection strings hold passwords: they only ever appear masked (probes/db.py).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import pytest

from pytest_readiness import CheckError, Context, Recorder
from pytest_readiness.config import Database
from pytest_readiness.plumbing import pyast
from pytest_readiness.probes.code import pools
from pytest_readiness.probes.hosts import commands
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.probes.network import db

pytestmark = pytest.mark.readiness(section="Databases", category="resilience")


@functools.cache
def _facts(dsn: str, timeout: float, name: str) -> db.PostgresFacts | db.DatabaseUnavailable:
    # One connection per database per process, shared by the three PostgreSQL checks.
    try:
        return db.postgres_facts(dsn, timeout, name)
    except db.DatabaseUnavailable as exc:
        return exc


@pytest.fixture
def postgres(database: Database, readiness: Recorder) -> db.PostgresFacts:
    """The PostgreSQL server's facts (one connection per database per process, shared by the
    three checks), or an error; a SQLite database is not applicable."""
    if database.dsn is None:
        pytest.skip(f"not applicable: {database.name} is a SQLite database")
    readiness.evidence(dsn=db.mask_dsn(database.dsn))
    facts = _facts(database.dsn, database.timeout, database.name)
    if isinstance(facts, db.DatabaseUnavailable):
        raise CheckError(str(facts))
    readiness.evidence(server_version=facts.server_version)
    return facts


@pytest.mark.readiness(id="db.reachable", severity="critical",
                       fix="Check the DSN, the network path and pg_hba.conf; the application "
                           "cannot start without its database")
def test_postgres_answers(database: Database, postgres: db.PostgresFacts,
                          readiness: Recorder) -> None:
    """PostgreSQL accepts a connection within its timeout and answers SELECT 1."""
    facts = postgres
    readiness.evidence(timeout_s=database.timeout)
    assert facts.select_1, f"{database.name}: SELECT 1 did not return 1"


def _code_pools(readiness_context: Context) -> tuple[int | None, list[dict[str, Any]]]:
    found = []
    for cb in readiness_context.codebases:
        found += pools.pools(pyast.modules(readiness_context.inventory(cb)))
    return pools.total_peak(found), [p.to_dict() for p in found][:20]


@pytest.mark.readiness(id="db.max-connections", severity="high", category="performance",
                       fix="Lower pool_size/max_overflow or the number of processes, or raise "
                           "max_connections (or put PgBouncer in front)")
def test_pools_fit_max_connections(database: Database, postgres: db.PostgresFacts,
                                   readiness_context: Context, readiness: Recorder) -> None:
    """The application's pools at peak fit in the server's max_connections."""
    facts = postgres
    available = facts.max_connections - facts.reserved_connections
    readiness.evidence(max_connections=facts.max_connections,
                       superuser_reserved=facts.reserved_connections)
    if database.pool is not None:
        spec = database.pool
        peak = db.pool_peak(spec.size, spec.max_overflow, spec.processes)
        readiness.evidence(pool_source="config", pool_size=spec.size,
                           max_overflow=spec.max_overflow, processes=spec.processes)
    else:
        per_process, found = _code_pools(readiness_context)
        if per_process is None or not found:
            pytest.skip("not applicable: no pool sizes in databases[].pool or in the code")
        peak = per_process
        readiness.evidence(pool_source="code scan (one process)", pools=found)
    readiness.evidence(pool_sum=peak, available=available)
    assert peak <= available, (f"pools open up to {peak} connections at peak; {database.name} "
                               f"allows {available} ({facts.max_connections} max_connections - "
                               f"{facts.reserved_connections} reserved)")
    if peak > 0.8 * available:
        readiness.warn(f"pools use {peak} of {available} connections at peak (over 80%)")


@pytest.mark.readiness(id="db.tls", severity="high", category="security",
                       fix="Enable ssl on the server and connect with sslmode=verify-full "
                           "(or at least require)")
def test_tls_for_remote_connections(database: Database, postgres: db.PostgresFacts,
                                    readiness: Recorder) -> None:
    """Non-local PostgreSQL connections use TLS and refuse to fall back to plaintext."""
    facts = postgres
    wanted = database.require_tls if database.require_tls is not None else not facts.local
    readiness.evidence(host=facts.host or "(unix socket)", local=facts.local,
                       ssl_in_use=facts.ssl_in_use, sslmode=facts.sslmode)
    if not wanted:
        pytest.skip(f"not applicable: {database.name} is local ({facts.host or 'unix socket'})")
    assert facts.ssl_in_use, f"{database.name}: the connection is not encrypted"
    assert db.tls_required(facts.sslmode), (
        f"{database.name}: sslmode={facts.sslmode} allows a plaintext fallback; "
        "use require, verify-ca or verify-full")


@pytest.mark.readiness(id="db.sqlite-integrity", severity="critical",
                       fix="Restore the file from a backup (or .recover it) and find what "
                           "wrote to it unsafely (no WAL, network filesystem, killed writer)")
def test_sqlite_integrity(database: Database, readiness_context: Context,
                          readiness: Recorder) -> None:
    """SQLite files pass PRAGMA integrity_check (locally or on the host that holds them;
    a host without sqlite3 is a warning: it cannot be verified there)."""
    if database.sqlite is None:
        pytest.skip(f"not applicable: {database.name} is not a SQLite database")
    if database.host:
        model = next(h for h in readiness_context.hosts if h.name == database.host)
        problem = commands.absolute_path_problem(database.sqlite)
        if problem:  # "-cmd", ":memory:", a relative path: never handed to sqlite3
            raise CheckError(f"databases[].sqlite of {database.name}: {problem}")
        command = db.sqlite_integrity_command(database.sqlite)
        readiness.evidence(host=model.name, command=command)
        tinfra = connect(model)
        if tinfra.run("command -v %s", "sqlite3").rc != 0:
            readiness.warn(f"{database.name} on {model.name}: cannot verify the integrity of "
                           f"{database.sqlite}: sqlite3 is not installed on {model.name}; "
                           "install sqlite3 (the sqlite3 package) to check it")
        result = tinfra.run("sqlite3 -readonly %s %s", database.sqlite, "PRAGMA integrity_check;")
        rows = commands.output_of(result, f"sqlite3 on {model.name} ({database.name})")
        found = db.integrity_rows(database.sqlite, rows.splitlines())
    else:
        path = readiness_context.resolve(database.sqlite)
        if not path.is_file():  # a database that is not there cannot be checked
            raise CheckError(f"{database.name}: {readiness_context.display(str(path))} does not "
                             "exist or is not a regular file")
        found = db.sqlite_integrity(path, database.timeout)
        found = replace(found, path=readiness_context.display(found.path))
    readiness.evidence(path=found.path, problems=found.problems)
    assert found.ok, f"{found.path}: " + "; ".join(found.problems[:3])
