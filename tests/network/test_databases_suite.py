"""The databases suite against a real PostgreSQL cluster and real (and corrupted) SQLite files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_readiness.probes.network import db
from tests.conftest import require_binary
from tests.servers import silent
from tests.servers.postgres import PostgresServer, find_pg_bin, start_postgres
from tests.servers.tls import Pki

PG_CHECKS = ("db.reachable", "db.max-connections", "db.tls", "db.sqlite-integrity")


@pytest.fixture(scope="session")
def postgres(network_dir: Path) -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin() or str(Path(require_binary("postgres")).parent)
    pki = Pki.create(network_dir / "pg-pki")
    leaf = pki.leaf()
    server = start_postgres(bin_dir, leaf.pem() + pki.intermediate.pem(), leaf.key_pem())
    yield server
    server.stop()


def make_sqlite(path: Path, corrupt: bool = False) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE device (id INTEGER PRIMARY KEY, name TEXT, seen TEXT)")
    conn.execute("CREATE INDEX device_name ON device (name)")
    conn.executemany("INSERT INTO device (name, seen) VALUES (?, ?)",
                     [(f"device-{i:05d}", "2024-01-01") for i in range(3000)])
    conn.commit()
    conn.close()
    if corrupt:  # garbage over a few pages in the middle (b-tree pages of table and index)
        data = bytearray(path.read_bytes())
        for page in (3, 6, 9):
            data[page * 4096 + 8: page * 4096 + 600] = b"\xde\xad\xbe\xef" * 148
        path.write_bytes(bytes(data))
    return path


def test_mask_dsn_hides_url_and_keyword_passwords() -> None:
    assert db.mask_dsn("postgresql://app:s3cr3t@db:5432/app") == "postgresql://app:***@db:5432/app"
    assert db.mask_dsn("host=db user=app password='a b' dbname=x") == \
        "host=db user=app password=*** dbname=x"


@pytest.mark.slow
def test_databases_suite(postgres, tmp_path, run_network) -> None:
    good = make_sqlite(tmp_path / "good.db")
    broken = make_sqlite(tmp_path / "broken.db", corrupt=True)
    peer = silent.silent()
    try:
        run = run_network({"databases": [
            {"name": "ok", "dsn": postgres.dsn(), "pool": {"size": 5, "max_overflow": 5}},
            {"name": "tight", "dsn": postgres.dsn(sslmode="require"), "require_tls": True,
             "pool": {"size": 5, "max_overflow": 10}},
            {"name": "plain", "dsn": postgres.dsn(sslmode="disable"), "require_tls": True,
             "pool": {"size": 10, "max_overflow": 10, "processes": 2}},
            {"name": "nopool", "dsn": postgres.dsn()},
            {"name": "badpw", "dsn": postgres.dsn().replace(postgres.password, "wrong-pw-x1")},
            {"name": "hung", "timeout": 2,
             "dsn": f"postgresql://app:{postgres.password}@127.0.0.1:{peer.port}/app"},
            {"name": "devices", "sqlite": str(good)},
            {"name": "broken", "sqlite": str(broken)},
            {"name": "missing", "sqlite": str(tmp_path / "missing.db")},
        ]}, "db")
    finally:
        peer.stop()
    sqlite_skip = {"db.sqlite-integrity": "skip"}
    assert run.outcomes("ok") == {"db.reachable": "pass", "db.max-connections": "pass",
                                  "db.tls": "skip"} | sqlite_skip
    assert run.outcomes("tight") == {"db.reachable": "pass", "db.max-connections": "warn",
                                     "db.tls": "pass"} | sqlite_skip
    assert run.outcomes("plain") == {"db.reachable": "pass", "db.max-connections": "fail",
                                     "db.tls": "fail"} | sqlite_skip
    assert run.outcomes("nopool")["db.max-connections"] == "skip"
    for name in ("badpw", "hung"):
        assert run.outcomes(name) == {"db.reachable": "error", "db.max-connections": "error",
                                      "db.tls": "error"} | sqlite_skip
    assert {n: run.outcome("db.sqlite-integrity", n) for n in ("devices", "broken", "missing")} \
        == {"devices": "pass", "broken": "fail", "missing": "error"}  # not there: cannot check

    limits = run.check("db.max-connections", "plain")["evidence"]
    assert (limits["max_connections"], limits["pool_sum"], limits["available"]) == (20, 40, 17)
    assert run.check("db.tls", "plain")["evidence"]["ssl_in_use"] is False
    assert run.check("db.tls", "tight")["evidence"]["ssl_in_use"] is True
    assert "password authentication failed" in run.check("db.reachable", "badpw")["message"]
    hung = run.check("db.reachable", "hung")["message"]
    assert hung.startswith("CheckError: hung (postgresql://app:***@127.0.0.1:")
    assert run.check("db.reachable", "ok")["evidence"]["dsn"].startswith("postgresql://postgres:***@")
    assert run.check("db.sqlite-integrity", "broken")["evidence"]["problems"]
    assert postgres.password not in run.text
    assert postgres.password not in run.result.stdout.str()
