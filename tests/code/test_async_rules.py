"""Blocking calls in async code: positives, near misses, aliases, and the suite's outcomes."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.code import async_
from tests.code.conftest import module_of


def blocking(source: str) -> list[tuple[int, str, str]]:
    return [(f.line, f.rule, f.level) for f in async_.blocking_calls([module_of(source)])]


@pytest.mark.parametrize("source,rule", [
    ("import time\nasync def f():\n    time.sleep(1)", "time-sleep"),
    ("import time as t\nasync def f():\n    t.sleep(1)", "time-sleep"),
    ("from time import sleep\nasync def f():\n    sleep(1)", "time-sleep"),
    ("from time import sleep as nap\nasync def f():\n    nap(1)", "time-sleep"),
    ("import requests\nasync def f():\n    requests.get('u', timeout=1)", "sync-http"),
    ("import requests as rq\nasync def f():\n    s = rq.Session()\n    s.post('u')",
     "sync-http"),
    ("from urllib.request import urlopen\nasync def f():\n    urlopen('u')", "sync-http"),
    ("import subprocess\nasync def f():\n    subprocess.check_output(['ls'])", "subprocess"),
    ("import subprocess\nasync def f():\n    p = subprocess.Popen(['ls'])\n    p.wait()",
     "subprocess"),
    ("import sqlite3\nasync def f():\n    sqlite3.connect('x')", "sync-db"),
    ("import pymysql\nasync def f():\n    pymysql.connect()", "sync-db"),
    ("import redis\nasync def f():\n    r = redis.Redis()\n    r.get('k')", "sync-db"),
])
def test_blocking_call_in_async_def(source: str, rule: str) -> None:
    found = blocking(source)
    assert [r for _, r, level in found if level == "error"][-1:] == [rule]


def test_file_io_is_a_warning() -> None:
    assert blocking("async def f():\n    with open('x') as fh:\n        return fh.read()") == [
        (2, "file-io", "warning")]


@pytest.mark.parametrize("source", [
    # a sync helper run on a thread
    "import asyncio, time\ndef work():\n    time.sleep(1)\n"
    "async def f():\n    await asyncio.to_thread(work)",
    "import asyncio, time\nasync def f():\n    loop = asyncio.get_running_loop()\n"
    "    await loop.run_in_executor(None, lambda: time.sleep(1))",
    "import time\nasync def f():\n    def inner():\n        time.sleep(1)\n    return inner",
    "import asyncio\nasync def f():\n    await asyncio.sleep(1)",
    "import time\ndef f():\n    time.sleep(1)",  # plain sync code
    "import httpx\nasync def f():\n    async with httpx.AsyncClient() as c:\n"
    "        await c.get('u')",
    "import redis.asyncio as redis\nasync def f():\n    r = redis.Redis()\n    await r.get('k')",
    "import aiofiles\nasync def f():\n    async with aiofiles.open('x') as fh:\n"
    "        await fh.read()",
    "import requests\nasync def f():\n    raise requests.exceptions.Timeout()",
    "import asyncio\nasync def f():\n    sleep = asyncio.sleep\n    await sleep(1)",
])
def test_near_misses_are_fine(source: str) -> None:
    assert blocking(source) == []


def test_blocking_helper_called_directly_is_found_at_the_blocking_call() -> None:
    found = blocking("import time\ndef work():\n    time.sleep(1)\nasync def f():\n    work()")
    assert found == [(3, "time-sleep", "error")]


def test_helper_run_in_a_thread_is_fine() -> None:
    assert blocking("import asyncio, time\ndef work():\n    time.sleep(1)\n"
                    "async def f():\n    await asyncio.to_thread(work)\n") == []


def test_sync_imports() -> None:
    module = module_of("import psycopg2\nimport redis\nfrom redis import Redis\n"
                       "import asyncpg\nimport requests.adapters\n")
    found = [(f.line, f.message.split(",")[0]) for f in async_.sync_driver_imports([module])]
    assert found == [(1, "imports psycopg2"), (3, "imports redis.Redis"),
                     (5, "imports requests.adapters")]


def test_suite_outcomes(run_suite) -> None:
    run = run_suite("async", {
        "app/api.py": "import time\nimport psycopg2\nasync def handler():\n    time.sleep(1)\n",
        "app/ok.py": "import asyncio\nasync def fine():\n    await asyncio.sleep(0)\n",
        "tests/test_api.py": "import time\nasync def test_x():\n    time.sleep(1)\n",
    }, "{path: code, async: true}")
    assert run.outcome("async.blocking-calls") == "fail"
    assert run.rules("async.blocking-calls") == ["async.blocking-calls:time-sleep"]
    assert run.rules("async.blocking-calls", "note") == ["async.blocking-calls:time-sleep"]
    assert run.check("async.blocking-calls")["evidence"]["async_functions"] == 3
    assert run.outcome("async.sync-driver-imports") == "fail"


def test_suite_warns_on_file_io_and_skips_sync_codebases(run_suite) -> None:
    run = run_suite("async", {
        "app/api.py": "async def handler():\n    return open('x').read()\n",
    })
    assert run.outcome("async.blocking-calls") == "warn"
    assert run.outcome("async.sync-driver-imports") == "skip"


def test_suite_skips_without_async_code(run_suite) -> None:
    run = run_suite("async", {"app/api.py": "import time\ntime.sleep(1)\n"})
    assert run.outcome("async.blocking-calls") == "skip"
