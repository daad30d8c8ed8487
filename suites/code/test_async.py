"""Blocking calls in async code: one blocking call stalls every request on the event loop."""

from __future__ import annotations

import ast

import pytest

from pytest_readiness.plumbing import pyast, suppress
from pytest_readiness.probes.code import async_ as asyncblock

pytestmark = pytest.mark.readiness(section="Blocking Calls in Async Code", category="performance")


@pytest.mark.readiness(id="async.blocking-calls", severity="high",
                       fix="Use the async equivalent (await asyncio.sleep, httpx.AsyncClient, "
                           "asyncpg, redis.asyncio, asyncio.create_subprocess_exec) or move the "
                           "call off the loop with asyncio.to_thread")
def test_no_blocking_calls_in_async_functions(codebase, inventory, readiness):
    """No time.sleep, sync HTTP, subprocess, sync DB driver or file I/O inside async def."""
    modules = list(pyast.modules(inventory))
    async_functions = sum(isinstance(f, ast.AsyncFunctionDef) for m in modules for f in m.functions)
    readiness.evidence(python_files=len(modules), async_functions=async_functions)
    if not async_functions:
        pytest.skip("not applicable: no async def in this codebase")
    published = suppress.publish_codebase(readiness, codebase, inventory,
                                          asyncblock.blocking_calls(modules),
                                          "async.blocking-calls")
    assert not published.errors, (f"{len(published.errors)} blocking call(s) on the event loop: "
                                  + published.summary(published.errors))
    if published.warnings:
        readiness.warn(f"{len(published.warnings)} possibly blocking call(s): "
                       + published.summary(published.warnings, 5))


@pytest.mark.readiness(id="async.sync-driver-imports", severity="medium",
                       fix="Replace synchronous drivers and HTTP clients with async ones "
                           "(asyncpg/psycopg async, aiosqlite, redis.asyncio, httpx)")
def test_async_codebase_imports_no_sync_drivers(codebase, inventory, readiness):
    """A codebase declared async imports no synchronous DB driver or HTTP client."""
    if not codebase.spec.async_:
        pytest.skip("not applicable: the codebase is not declared async (codebases[].async)")
    published = suppress.publish_codebase(
        readiness, codebase, inventory,
        asyncblock.sync_driver_imports(pyast.modules(inventory)),
        "async.sync-driver-imports")
    assert not published.errors, (f"{len(published.errors)} sync driver import(s): "
                                  + published.summary(published.errors))
