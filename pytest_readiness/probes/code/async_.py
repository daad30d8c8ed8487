"""Blocking calls inside ``async def``: they stall the event loop for every request.

A call is judged in the function it sits in: a ``time.sleep`` in a nested sync
``def`` or a lambda handed to ``asyncio.to_thread`` / ``run_in_executor`` runs
on a thread and is fine. A sync helper of the same module that blocks and is
called directly from an ``async def`` is reported at the call (one level deep).
No pytest here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.vocabulary import Level

SYNC_DRIVERS = ("psycopg2", "pymysql", "MySQLdb", "sqlite3", "cx_Oracle", "pyodbc")
SYNC_REDIS = ("redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.from_url",
              "redis.Redis.from_url")
SYNC_HTTP = ("requests", "urllib.request", "urllib3", "http.client", "httplib2")
HTTP_CALLS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request",
                        "send", "urlopen", "getresponse", "urlretrieve"})
DB_CALLS = frozenset({"connect", "execute", "executemany", "executescript", "fetchone",
                      "fetchall", "fetchmany", "commit", "rollback", "callproc"})
SUBPROCESS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                        "subprocess.check_output", "subprocess.getoutput",
                        "subprocess.getstatusoutput", "subprocess.Popen().wait",
                        "subprocess.Popen().communicate", "os.system", "os.popen"})
FILE_IO = frozenset({"open", "io.open"})
PATH_IO = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})


BLOCKING_RULES = ("time-sleep", "sync-http", "subprocess", "sync-db", "file-io")


def blocking_rule(name: str) -> tuple[str, str] | None:
    """(rule, advice) when a resolved call name blocks the event loop."""
    top, last = name.split(".")[0], pyast.tail(name)
    if name == "time.sleep":
        return "time-sleep", "time.sleep blocks the loop; use await asyncio.sleep"
    if name.startswith(SYNC_HTTP) and last in HTTP_CALLS:
        return "sync-http", f"{top} is synchronous; use httpx.AsyncClient or aiohttp"
    if name in SUBPROCESS:
        return "subprocess", "use asyncio.create_subprocess_exec"
    if top in SYNC_DRIVERS and last in DB_CALLS:
        return "sync-db", f"{top} is a synchronous driver; use an async one"
    if name.startswith(SYNC_REDIS) and "()." in name:
        return "sync-db", "a synchronous redis client; use redis.asyncio"
    if name in FILE_IO or (last in PATH_IO and "Path" in name):
        return "file-io", "file I/O blocks; use aiofiles or asyncio.to_thread"
    return None


def _blocking_helpers(module: pyast.Module) -> dict[str, tuple[str, str, int]]:
    """Sync functions of the module that block directly: name -> (rule, callee, line)."""
    helpers: dict[str, tuple[str, str, int]] = {}
    for call in module.calls:
        fn = call.function
        if isinstance(fn, ast.FunctionDef) and fn.name not in helpers:
            found = blocking_rule(call.name)
            if found and found[0] != "file-io":
                helpers[fn.name] = (found[0], call.name, call.line)
    return helpers


def blocking_calls(modules: Iterable[pyast.Module]) -> list[Finding]:
    found: list[Finding] = []
    for module in modules:
        helpers = _blocking_helpers(module)
        for call in module.calls:
            if not call.in_async:
                continue
            assert isinstance(call.function, ast.AsyncFunctionDef)
            where = f"in async def {call.function.name}"
            rule = blocking_rule(call.name)
            if rule:
                level = Level.WARNING if rule[0] == "file-io" else Level.ERROR
                found.append(Finding(rule[0], f"{call.name}() {where}: {rule[1]}",
                                         module.rel, call.line, snippet(module.line(call.line)),
                                         level))
            elif call.name in helpers:
                inner, callee, line = helpers[call.name]
                found.append(Finding(inner, f"{call.name}() {where} calls {callee}() "
                                                f"(line {line}) on the event loop; run it with "
                                                "asyncio.to_thread", module.rel, call.line,
                                         snippet(module.line(call.line)), Level.WARNING))
    return found


def sync_driver_imports(modules: Iterable[pyast.Module]) -> list[Finding]:
    """Imports of synchronous drivers and HTTP clients (for codebases declared async)."""
    found = []
    for module in modules:
        for name, line in module.imports:
            top = name.split(".")[0]
            sync = (name.startswith(SYNC_HTTP) or top in SYNC_DRIVERS
                    or name in ("redis.Redis", "redis.StrictRedis"))
            if sync:
                found.append(Finding("",
                                         f"imports {name}, a synchronous client, in an async "
                                         "codebase", module.rel, line,
                                         snippet(module.line(line))))
    return found
