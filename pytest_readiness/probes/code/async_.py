"""Blocking calls reached from ``async def``: they stall the event loop for every request.

Direct findings: a call is judged in the function it sits in; a ``time.sleep`` in a
nested sync ``def`` or a lambda handed to ``asyncio.to_thread`` / ``run_in_executor``
runs on a thread and is fine. Path findings: a blocking call in a sync function that
an ``async def`` calls directly, through any number of sync helpers and methods
anywhere in the package (the call graph, plumbing/callgraph.py), is reported at the
blocking call with the path from the async function (``routes.py:12 list_orders ->
repo.py:30 fetch -> db.py:8 psycopg2.connect``). A function handed to
``asyncio.to_thread``, ``run_in_executor``, ``anyio.to_thread.run_sync``,
``sync_to_async`` or ``run_in_threadpool`` is passed, not called: no edge, no
finding; FastAPI's sync ``def`` endpoints run in a thread pool and start no path.
No pytest here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from pytest_readiness.plumbing import callgraph, pyast
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
MONGO_CALLS = frozenset({"insert_one", "insert_many", "find", "find_one", "update_one",
                         "update_many", "replace_one", "delete_one", "delete_many",
                         "aggregate", "count_documents", "find_one_and_update", "bulk_write",
                         "create_index", "command"})
SQLALCHEMY_CALLS = DB_CALLS | {"query", "scalars", "scalar", "get", "flush", "merge"}
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
    if top == "pymongo" and "()." in name and last in MONGO_CALLS:
        return "sync-db", "pymongo is synchronous; use its AsyncMongoClient or motor"
    if (top == "sqlalchemy" and "asyncio" not in name and "()." in name
            and last in SQLALCHEMY_CALLS):
        return "sync-db", "a synchronous SQLAlchemy session; use sqlalchemy.ext.asyncio"
    if top in ("boto3", "botocore") and "()." in name and not last.startswith("_"):
        return "sync-http", "boto3 is synchronous; use aioboto3"
    if name in FILE_IO or (last in PATH_IO and "Path" in name):
        return "file-io", "file I/O blocks; use aiofiles or asyncio.to_thread"
    return None


def blocking_calls(modules: Iterable[pyast.Module], graph: callgraph.CallGraph | None = None,
                   live: Callable[[str], bool] | None = None) -> list[Finding]:
    """Direct findings (a blocking call inside ``async def``) and path findings (one
    reached through sync functions of the call graph; built here when not given)."""
    modules = list(modules)
    found: list[Finding] = []
    for module in modules:
        for call in module.calls:
            if not call.in_async:
                continue
            assert isinstance(call.function, ast.AsyncFunctionDef)
            rule = blocking_rule(call.name)
            if rule:
                level = Level.WARNING if rule[0] == "file-io" else Level.ERROR
                found.append(Finding(rule[0], f"{call.name}() in async def "
                                     f"{call.function.name}: {rule[1]}", module.rel,
                                     call.line, snippet(module.line(call.line)), level))
    if graph is None:
        graph = callgraph.build(modules)
    return found + blocking_paths(graph, live)


def _step(graph: callgraph.CallGraph, call: callgraph.Call) -> str:
    fn = graph.functions[call.caller]
    return f"{fn.module.rel}:{call.line} {fn.name}"


def _awaited_by(graph: callgraph.CallGraph, callers: dict[str, list[callgraph.Call]],
                qualname: str) -> list[callgraph.Call]:
    """The chain of async functions calling ``qualname``, up to one nobody calls (the
    handler, for the message): the first caller each time, bounded."""
    chain: list[callgraph.Call] = []
    seen = {qualname}
    while len(chain) < callgraph.MAX_DEPTH:
        up = next((c for c in callers.get(qualname, ()) if c.caller not in seen
                   and graph.functions[c.caller].is_async), None)
        if up is None:
            break
        chain.insert(0, up)
        seen.add(qualname := up.caller)
    return chain


def blocking_paths(graph: callgraph.CallGraph, live: Callable[[str], bool] | None = None
                   ) -> list[Finding]:
    """Blocking calls in sync functions that an ``async def`` reaches by plain calls: one
    finding per blocking call, at the call, with the shortest path from an async
    function (of a live file, when ``live`` says which are) to it. File I/O is left to
    the direct findings (a helper reading a small file is not worth a path)."""
    # one finding per sync function reached: its first blocking call (the fix, running
    # the function off the loop, is one), the path of the first async function found
    first: dict[str, tuple[int, list[callgraph.Call], callgraph.Call, tuple[str, str],
                           callgraph.Function]] = {}
    for root in graph.functions.values():
        if not root.is_async or (live is not None and not live(root.module.rel)):
            continue
        for path, call in graph.reach(root.qualname):
            if not path or call.name is None:
                continue  # a direct call: reported above
            rule = blocking_rule(call.name)
            if rule is None or rule[0] == "file-io":
                continue
            known = first.get(call.caller)
            if known is None or (known[4] is root and call.line < known[0]):
                first[call.caller] = (call.line, path, call, rule, root)
    found = []
    callers = graph.callers() if first else {}
    for _, path, call, rule, root in first.values():
        fn = graph.functions[call.caller]
        path = [*_awaited_by(graph, callers, root.qualname), *path]
        steps = " -> ".join([*(_step(graph, c) for c in path), _step(graph, call)])
        found.append(Finding(
            rule[0], f"{call.name}() reached from async def "
            f"{graph.functions[path[0].caller].name} on the event "
            f"loop: {steps} -> {call.name}; {rule[1]} (or run the call with "
            "asyncio.to_thread)", fn.module.rel, call.line,
            snippet(fn.module.line(call.line)), Level.ERROR))
    return sorted(found, key=lambda f: (f.file or "", f.line or 0))


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
