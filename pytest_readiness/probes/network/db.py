"""Databases: PostgreSQL reachability, limits and TLS; SQLite integrity. No pytest here.

Everything here is read-only: ``SELECT 1``, ``SHOW``, a look at ``pg_stat_ssl`` for our
own connection, and ``PRAGMA integrity_check`` on a SQLite file opened read-only.
DSNs hold passwords: every message and fact carries :func:`mask_dsn` of them, and
driver errors are masked before they leave this module.
"""

from __future__ import annotations

import math
import os
import re
import socket
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pytest_readiness.plumbing.redact import mask_url_password

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_dsn(dsn: str) -> str:
    """A DSN (URL or key=value form) with its password replaced by ``***``."""
    return _KV_PASSWORD.sub(lambda m: m.group(1) + "***", mask_url_password(dsn))


def _scrub(text: str, dsn: str) -> str:
    text = mask_dsn(text)
    password = dsn_params(dsn).get("password")
    return text.replace(password, "***") if password else text


def dsn_params(dsn: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except psycopg.Error:
        return {}


class DatabaseUnavailable(ConnectionError):
    """Could not connect or query within the timeout; the message holds no password."""


@dataclass(frozen=True)
class PostgresFacts:
    dsn: str  # masked
    host: str
    local: bool
    server_version: str
    max_connections: int
    reserved_connections: int
    ssl_in_use: bool
    sslmode: str
    select_1: bool


def is_local_host(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("/")


class QueryDeadline:
    """A client-side deadline on each query of one connection.

    The server's ``statement_timeout`` bounds a server that works; a peer that lets the
    client in and never answers is bounded only here: when a query is not answered
    within ``seconds``, a timer shuts the connection's socket down, the blocked read
    ends with an error, and :attr:`expired` says why.
    """

    def __init__(self, conn: psycopg.Connection[Any], seconds: float) -> None:
        self.conn = conn
        self.seconds = seconds
        self.expired: str | None = None

    def run(self, sql: str) -> Any:
        timer = threading.Timer(self.seconds, self._cut, args=(sql,))
        timer.daemon = True
        timer.start()
        try:
            return self.conn.execute(sql).fetchone()
        finally:
            timer.cancel()

    def value(self, sql: str) -> Any:
        """The one value a ``SHOW`` answers (a server that answers nothing is not PostgreSQL)."""
        row = self.run(sql)
        if row is None:
            raise psycopg.DataError(f"{sql} returned no row")
        return row[0]

    def _cut(self, sql: str) -> None:
        self.expired = f"no answer to {sql.split()[0]} ... within {self.seconds:g}s"
        try:
            with socket.socket(fileno=os.dup(self.conn.pgconn.socket)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, psycopg.Error):
            pass


def postgres_facts(dsn: str, timeout: float, target: str) -> PostgresFacts:
    """Connect within ``timeout`` and read what the database checks need; every query
    has a client-side deadline of ``timeout`` too (:class:`QueryDeadline`)."""
    params = dsn_params(dsn)
    host = params.get("host", "")
    deadline: QueryDeadline | None = None
    try:
        with psycopg.connect(dsn, connect_timeout=max(2, math.ceil(timeout)),
                             options=f"-c statement_timeout={int(timeout * 1000)}",
                             autocommit=True) as conn:
            deadline = QueryDeadline(conn, timeout)
            one = deadline.run("SELECT 1")
            max_connections = int(deadline.value("SHOW max_connections"))
            reserved = int(deadline.value("SHOW superuser_reserved_connections"))
            version = str(deadline.value("SHOW server_version"))
            row = deadline.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ssl_in_use = bool(row and row[0])
    except psycopg.Error as exc:
        if deadline is not None and deadline.expired:
            raise DatabaseUnavailable(f"{target} ({mask_dsn(dsn)}): {deadline.expired} "
                                      "(the server accepted the connection, then stalled)"
                                      ) from None
        detail = " ".join(str(exc).split())
        raise DatabaseUnavailable(f"{target} ({mask_dsn(dsn)}): connect or query failed "
                                  f"within {timeout:g}s: {_scrub(detail, dsn)}") from None
    return PostgresFacts(mask_dsn(dsn), host, is_local_host(host), version, max_connections,
                         reserved, ssl_in_use, params.get("sslmode", "prefer"),
                         bool(one and one[0] == 1))


def tls_required(sslmode: str) -> bool:
    """Whether libpq refuses a plaintext connection with this sslmode."""
    return sslmode in ("require", "verify-ca", "verify-full")


def pool_peak(size: int, max_overflow: int, processes: int) -> int:
    return (size + max_overflow) * processes


# --- SQLite ---------------------------------------------------------------------


@dataclass(frozen=True)
class IntegrityResult:
    path: str
    ok: bool
    problems: list[str]


def sqlite_integrity(path: Path, timeout: float) -> IntegrityResult:
    """``PRAGMA integrity_check`` on a file opened read-only (never created)."""
    if not path.is_file():
        return IntegrityResult(str(path), False, ["the file does not exist"])
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        return IntegrityResult(str(path), False, [str(exc)])
    return integrity_rows(str(path), rows)


def integrity_rows(path: str, rows: list[str]) -> IntegrityResult:
    problems = [r for r in rows if r.strip() and r.strip() != "ok"]
    return IntegrityResult(path, not problems and bool(rows), problems[:20] or
                           ([] if rows else ["integrity_check returned nothing"]))


def sqlite_integrity_command(path: str) -> str:
    """The read-only command run on a remote host that holds the file."""
    from shlex import quote

    return f"sqlite3 -readonly {quote(path)} 'PRAGMA integrity_check;'"
