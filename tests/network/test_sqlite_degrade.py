"""Missing tools degrade, never block (issue 16.6): ``db.sqlite-integrity`` on a host
without ``sqlite3`` warns ("cannot verify; install sqlite3") instead of erroring.

The host is this machine (``local://``) with a PATH on which sqlite3 is really absent.
"""

from __future__ import annotations

import sqlite3


def test_host_without_sqlite3_warns_and_does_not_block(run_network, tmp_path,
                                                        monkeypatch) -> None:
    path = tmp_path / "devices.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE device (id INTEGER PRIMARY KEY)")
    empty = tmp_path / "bin"
    empty.mkdir()
    config = {"hosts": [{"name": "appliance", "connection": "local://", "timeout": 5}],
              "databases": [{"name": "devices", "sqlite": str(path), "host": "appliance"}]}
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(empty))
        run = run_network(config, "db")
    check = run.check("db.sqlite-integrity", "devices")
    assert check["outcome"] == "warn", check["message"]
    assert check["message"] == (
        f"devices on appliance: cannot verify the integrity of {path}: sqlite3 is not "
        "installed on appliance; install sqlite3 (the sqlite3 package) to check it")
    assert run.record["scorecard"]["blockers"] == []
    run = run_network(config, "db")  # the same host with sqlite3 on its PATH checks it
    assert run.outcome("db.sqlite-integrity", "devices") == "pass"
