"""Blocking calls in async code: one blocking call stalls every request on the event loop."""

from __future__ import annotations

import ast

import pytest

from pytest_readiness import CodebaseTarget, Context, Recorder
from pytest_readiness.plumbing import callgraph, pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.code import async_

pytestmark = pytest.mark.readiness(section="Blocking Calls in Async Code", category="performance")


@pytest.mark.readiness(id="async.blocking-calls", severity="high", rules=async_.BLOCKING_RULES,
                       fix="Use the async equivalent (await asyncio.sleep, httpx.AsyncClient, "
                           "asyncpg, redis.asyncio, asyncio.create_subprocess_exec) or move the "
                           "call off the loop with asyncio.to_thread")
def test_no_blocking_calls_in_async_functions(codebase: CodebaseTarget, inventory: Inventory,
                                              readiness: Recorder,
                                              readiness_context: Context) -> None:
    """No time.sleep, sync HTTP, subprocess, sync DB driver or file I/O inside async def,
    nor reached from one through sync helpers and methods (the call graph)."""
    modules = list(pyast.modules(inventory))
    async_functions = sum(isinstance(f, ast.AsyncFunctionDef) for m in modules for f in m.functions)
    readiness.evidence(python_files=len(modules), async_functions=async_functions)
    if not async_functions:
        pytest.skip("not applicable: no async def in this codebase")
    graph = callgraph.of(inventory)
    readiness.evidence(call_graph={"functions": len(graph.functions), "edges": graph.edges,
                                   "unresolved_calls": graph.unresolved,
                                   "truncated": graph.truncated})
    scope = readiness_context.scope(codebase)
    found = async_.blocking_calls(modules, graph, lambda rel: scope.judge(rel).production)
    readiness.conclude([*found, *pyast.not_analysed(inventory)],
                       "blocking call(s) on the event loop",
                       warning=pyast.said("possibly blocking call(s)"), code=True)


@pytest.mark.readiness(id="async.sync-driver-imports", severity="medium",
                       fix="Replace synchronous drivers and HTTP clients with async ones "
                           "(asyncpg/psycopg async, aiosqlite, redis.asyncio, httpx)")
def test_async_codebase_imports_no_sync_drivers(codebase: CodebaseTarget, inventory: Inventory,
                                                readiness: Recorder) -> None:
    """A codebase declared async imports no synchronous DB driver or HTTP client."""
    if not codebase.spec.async_:
        pytest.skip("not applicable: the codebase is not declared async (codebases[].async)")
    readiness.conclude([*async_.sync_driver_imports(pyast.modules(inventory)),
                        *pyast.not_analysed(inventory)], "sync driver import(s)",
                       warning=pyast.said("sync driver import(s) (warning)"), code=True)
