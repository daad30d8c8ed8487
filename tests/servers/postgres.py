"""A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's package), run as ``postgres``.

PostgreSQL refuses to run as root, so when the tests run as root the data directory
is handed to the ``postgres`` system user and every server command runs through
``runuser``. The cluster has password (scram) auth, TLS with a test certificate, and
a small ``max_connections`` so the pool check has something to compare.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_CONNECTIONS = 20


def find_pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1]) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    bin_dir: str
    directory: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def dsn(self, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return (f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"
                + (f"?{query}" if query else ""))

    def stop(self) -> None:
        subprocess.run(_as_postgres([f"{self.bin_dir}/pg_ctl", "-D", str(self.data), "-m",
                                     "immediate", "stop"]), capture_output=True, timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(bin_dir: str, cert: bytes, key: bytes) -> PostgresServer:
    """initdb + start on a free high port; raises RuntimeError with the server's log."""
    directory = Path(tempfile.mkdtemp(prefix="readiness-pg-"))
    password = secrets.token_urlsafe(18)
    (directory / "pw").write_text(password + "\n")
    (directory / "server.crt").write_bytes(cert)
    (directory / "server.key").write_bytes(key)
    (directory / "server.key").chmod(0o600)
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (directory, *directory.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir, directory, free_port(), password)
    subprocess.run(_as_postgres([f"{bin_dir}/initdb", "-D", str(server.data), "-U", "postgres",
                                 "--auth=scram-sha-256", f"--pwfile={directory / 'pw'}",
                                 "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -k {directory} "
               f"-c max_connections={MAX_CONNECTIONS} -c ssl=on "
               f"-c ssl_cert_file={directory / 'server.crt'} "
               f"-c ssl_key_file={directory / 'server.key'} -c fsync=off")
    started = subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", str(server.data), "-w",
                                           "-t", "60", "-l", str(directory / "log"), "-o",
                                           options, "start"]),
                             capture_output=True, text=True, timeout=90)
    if started.returncode != 0:
        log = (directory / "log").read_text(errors="replace") if (directory / "log").exists() \
            else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"postgres did not start: {started.stderr}\n{log[-2000:]}")
    return server
