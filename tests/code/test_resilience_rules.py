"""Outbound resilience: timeouts per library, retries, circuit breakers, gRPC keepalive."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.code import resilience
from tests.code.conftest import module_of


def timeouts(source: str) -> list[tuple[str, str]]:
    return [(c.call, c.timeout) for c in resilience.http_calls([module_of(source)])]


def test_timeout_states_per_library() -> None:
    found = timeouts('''
        import requests, httpx, aiohttp
        import requests as rq
        requests.get("u")
        rq.post("u", timeout=5)
        requests.get("u", timeout=None)
        requests.get("u", **opts)
        s = requests.Session()
        s.get("u")
        s.get("u", timeout=3)
        httpx.get("u")
        c = httpx.Client(timeout=10)
        c.get("u")
        httpx.AsyncClient()
        aiohttp.ClientSession()
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        requests.exceptions.Timeout()
        ''')
    assert found == [
        ("requests.get", "missing"), ("requests.post", "explicit"), ("requests.get", "none"),
        ("requests.get", "unknown"), ("httpx.get", "missing"), ("httpx.Client", "explicit"),
        ("httpx.AsyncClient", "missing"), ("aiohttp.ClientSession", "missing"),
        ("aiohttp.ClientSession", "explicit"),
        ("requests.Session().get", "missing"), ("requests.Session().get", "explicit"),
    ]


def test_timeout_findings_state_the_library_default() -> None:
    module = module_of('import requests, httpx, aiohttp\nrequests.get("u")\nhttpx.get("u")\n'
                       'aiohttp.ClientSession()\n')
    found = resilience.timeout_findings(resilience.http_calls([module]), lambda rel: module.lines)
    assert [(f.level, f.message) for f in found] == [
        ("error", "requests.get() with no timeout (no timeout: waits forever)"),
        ("warning", "httpx.get() with no timeout (5 s default (connect, read, write and pool))"),
        ("warning",
         "aiohttp.ClientSession() with no timeout (300 s total (ClientTimeout default))"),
    ]


@pytest.mark.parametrize("source,kind", [
    ("from tenacity import retry\n", "library"),
    ("import backoff\n", "library"),
    ("from urllib3.util.retry import Retry\n", "library"),
    ("from requests.adapters import HTTPAdapter\nHTTPAdapter(max_retries=3)\n", "transport"),
    ("import time\nfor attempt in range(3):\n    try:\n        call()\n        break\n"
     "    except OSError:\n        time.sleep(2 ** attempt)\n", "loop"),
])
def test_retry_mechanisms(source: str, kind: str) -> None:
    assert [m.kind for m in resilience.retry_mechanisms([module_of(source)])] == [kind]


@pytest.mark.parametrize("source,rel", [
    ("import time\nfor x in range(3):\n    time.sleep(1)\n", "app/poll.py"),  # no try
    ("for x in range(3):\n    try:\n        call()\n    except OSError:\n        pass\n",
     "app/a.py"),  # no sleep
    ("from tenacity import retry\n", "tests/test_x.py"),  # only in tests
])
def test_not_retries(source: str, rel: str) -> None:
    assert resilience.retry_mechanisms([module_of(source, rel)]) == []


def test_breaker_defined_and_used() -> None:
    defining = module_of("import pybreaker\ndb_breaker = pybreaker.CircuitBreaker(fail_max=5)\n",
                         "app/breakers.py")
    using = module_of("from app.breakers import db_breaker\n@db_breaker\ndef fetch():\n"
                      "    pass\n", "app/repo.py")
    found = resilience.circuit_breakers([defining, using])
    assert found.defined and [m.detail for m in found.used] == [
        "@app.breakers.db_breaker on fetch"]


def test_hand_written_breaker_used_by_call() -> None:
    module = module_of("class CircuitBreaker:\n    def call(self, fn):\n        return fn()\n"
                       "class Client:\n    def __init__(self):\n"
                       "        self.breaker = CircuitBreaker()\n"
                       "    def get(self):\n        return self.breaker.call(lambda: 1)\n")
    found = resilience.circuit_breakers([module])
    assert [m.kind for m in found.defined] == ["breaker", "class"]
    assert [m.detail for m in found.used] == ["self.breaker.call()"]


def test_breaker_used_only_in_tests_is_not_used() -> None:
    defining = module_of("import pybreaker\nb = pybreaker.CircuitBreaker()\n", "app/b.py")
    test = module_of("from app.b import b\ndef test_b():\n    b.call(print)\n",
                     "tests/test_b.py")
    found = resilience.circuit_breakers([defining, test])
    assert found.defined and not found.used


def test_grpc_keepalive() -> None:
    module = module_of('''
        import grpc
        OPTS = [("grpc.keepalive_time_ms", 30000)]
        grpc.insecure_channel("a:1")
        grpc.insecure_channel("a:1", options=[("grpc.keepalive_time_ms", 30000)])
        grpc.secure_channel("a:1", creds, OPTS)
        grpc.aio.insecure_channel("a:1", options=build())
        grpc.secure_channel("a:1", creds, options=[("grpc.max_receive_message_length", 1)])
        ''')
    assert [c.keepalive for c in resilience.grpc_channels([module])] == [
        False, True, True, None, False]


def test_suite_outcomes(run_suite) -> None:
    run = run_suite("resilience", {
        "app/client.py": "import requests, grpc\nrequests.get('u')\n"
                         "grpc.insecure_channel('a:1')\n",
        "app/retry.py": "import backoff\n",
        "app/breakers.py": "import pybreaker\nb = pybreaker.CircuitBreaker()\n",
    })
    check = run.check("resilience.http-timeout")
    assert check["outcome"] == "fail"
    assert check["evidence"]["library_defaults"] == {"requests": "no timeout: waits forever"}
    assert check["evidence"]["http_calls"] == {"requests": {"missing": 1}}
    assert run.outcome("resilience.retry-backoff") == "pass"
    # breakers and keepalive may live where the AST does not look: warnings (baseline)
    assert run.outcome("resilience.circuit-breaker") == "warn"
    assert "never used" in run.check("resilience.circuit-breaker")["message"]
    assert run.outcome("resilience.grpc-keepalive") == "warn"


def test_suite_warns_on_library_defaults_and_skips_without_calls(run_suite) -> None:
    run = run_suite("resilience", {
        "app/client.py": "import httpx\nhttpx.get('u')\n",
    })
    assert run.outcome("resilience.http-timeout") == "warn"
    assert run.outcome("resilience.retry-backoff") == "warn"
    assert run.outcome("resilience.circuit-breaker") == "warn"
    assert run.outcome("resilience.grpc-keepalive") == "skip"


def test_suite_skips_code_without_outbound_calls(run_suite) -> None:
    run = run_suite("resilience", {"app/x.py": "print(1)\n"})
    assert {c["outcome"] for c in run.checks} == {"skip"}


@pytest.mark.parametrize("source", [
    "from dataclasses import dataclass, field\n@dataclass\nclass Breakers:\n"
    "    defined: list = field(default_factory=list)\n",
    "import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass BreakerResult:\n"
    "    ok: bool\n    def __post_init__(self):\n        pass\n",
    "import enum\nclass BreakerState(enum.Enum):\n    OPEN = 1\n    CLOSED = 2\n",
    "from typing import NamedTuple\nclass BreakerStats(NamedTuple):\n    failures: int\n",
    "class BreakerOpenError(RuntimeError):\n    pass\n",
    "class Breakers:\n    def __init__(self):\n        self.items = []\n",
])
def test_data_named_for_breakers_is_not_a_breaker(source: str) -> None:
    """Precision: a result record or state enum named *Breaker* is data, not a breaker."""
    module = module_of(source + "result = Breakers() if 'Breakers' in dir() else None\n",
                       "app/report.py")
    found = resilience.circuit_breakers([module])
    assert found.defined == [] and found.used == []


def test_a_hand_written_breaker_with_behaviour_is_one() -> None:
    module = module_of("class CircuitBreaker:\n    def __init__(self):\n        self.failures = 0\n"
                       "    def call(self, fn):\n        return fn()\n"
                       "breaker = CircuitBreaker()\nbreaker.call(print)\n", "app/cb.py")
    found = resilience.circuit_breakers([module])
    assert [m.kind for m in found.defined] == ["breaker", "class"]
    assert [m.detail for m in found.used] == ["breaker.call()"]


def test_suite_counts_live_call_sites_and_honours_explained_suppressions(
        run_suite, pytester: pytest.Pytester) -> None:
    run = run_suite("resilience", {
        "app/probe.py": "import grpc\n"
                        "channel = grpc.insecure_channel('a:1')  # readiness: ignore["
                        "resilience.retry-backoff,resilience.circuit-breaker,"
                        "resilience.grpc-keepalive] one-shot probe: one call, then closed\n",
        "tests/test_client.py": "import requests\nrequests.get('u', timeout=1)\n",
    })
    for check_id in ("resilience.retry-backoff", "resilience.circuit-breaker",
                     "resilience.grpc-keepalive"):
        check = run.check(check_id)
        assert check["outcome"] == "pass", check
        (silenced,) = check["evidence"]["suppressed"]
        assert silenced["file"] == "app/probe.py" and "one-shot probe" in silenced["reason"]
    (pytester.path / "code" / "app" / "probe.py").unlink()
    run = run_suite("resilience", {})
    assert run.outcome("resilience.retry-backoff") == "skip"  # a test's call is not outbound
