"""resilience.process-local-state: process-local state used as shared state (issue 15.6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing import replicas
from pytest_readiness.probes.code import resilience
from tests.code.conftest import module_of


def states(source: str) -> list[tuple[int, str, str]]:
    return [(s.line, s.name, s.kind) for s in resilience.process_local_state([module_of(source)])]


@pytest.mark.parametrize(("source", "kind"), [
    ("_REVOKED: set[str] = set()\nasync def revoke(j):\n    _REVOKED.add(j)\n", "set"),
    ("S = {}\ndef login(u, t):\n    S[u] = t\n", "dict"),
    ("from collections import defaultdict\nA = defaultdict(list)\ndef hit(k):\n"
     "    A[k] += [1]\n", "collections.defaultdict"),
    ("import collections\nQ = collections.deque()\ndef push(x):\n    Q.append(x)\n",
     "collections.deque"),
    ("from cachetools import TTLCache\nC = TTLCache(100, 60)\ndef f(k, v):\n    C[k] = v\n",
     "cachetools.TTLCache"),
    ("L = []\ndef f(x):\n    del L[x]\n", "list"),
])
def test_module_level_containers_changed_by_a_function(source: str, kind: str) -> None:
    assert [(line, k) for line, _, k in states(source)] == [(states(source)[0][0], kind)]
    assert states(source)[0][0] in (1, 2)


@pytest.mark.parametrize("source", [
    "ROLES = {'a': 1}\ndef f():\n    return ROLES['a']\n",      # read, never changed
    "R = {}\nR['a'] = 1\n",                                     # filled at import time
    "def f():\n    s = set()\n    s.add(1)\n",                  # local
    "class A:\n    seen = set()\n",                             # not module level
    "from prometheus_client import CollectorRegistry\nREGISTRY = CollectorRegistry()\n"
    "def f():\n    REGISTRY.register(1)\n",                     # not a container we know
    "__all__ = []\ndef f():\n    __all__.append('x')\n",
])
def test_near_misses(source: str) -> None:
    assert states(source) == []


def test_locmem_cache_setting() -> None:
    source = ("CACHES = {'default': {\n"
              "    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',\n}}\n")
    assert states(source) == [(2, "CACHES", resilience.LOCMEM_CACHE)]


def test_levels_follow_replicas_and_names() -> None:
    found = resilience.process_local_state([module_of(
        "_SESSIONS = {}\n_memo = {}\ndef f(k):\n    _SESSIONS[k] = 1\n    _memo[k] = 2\n")])
    many = resilience.Replicas(3, "compose service api runs 3 processes")
    assert [f.level for f in resilience.process_state_findings(found, many)] == ["error", "note"]
    assert [f.level for f in resilience.process_state_findings(found, None)] == ["note", "note"]
    assert "breaks at scale" in resilience.process_state_findings(found, None)[0].message


@pytest.mark.parametrize(("command", "count"), [
    ("gunicorn -w 4 app.wsgi", 4), ("uvicorn app:app --workers=3", 3),
    ("gunicorn --workers 2 x:y", 2), ("python -m app -w 4", 1), ("uvicorn app:app", 1),
])
def test_workers(command: str, count: int) -> None:
    assert resilience.workers(command) == count


@given(st.text(max_size=80))
def test_workers_is_at_least_one(command: str) -> None:
    assert resilience.workers(command) >= 1


COMPOSE = """services:
  api:
    image: registry.example.com/api:1
    command: ["gunicorn", "-w", "2", "shop.wsgi"]
    deploy:
      replicas: 3
"""


FILES = {"shop/__init__.py": "",
         "shop/tokens.py": "_REVOKED = set()\ndef revoke(j):\n    _REVOKED.add(j)\n"}


def test_suite_fails_with_replicas(run_suite) -> None:
    run = run_suite("resilience", {**FILES, "compose.yaml": COMPOSE})
    assert run.outcome("resilience.process-local-state") == "fail"
    assert "6 processes" in run.check("resilience.process-local-state")["evidence"]["processes"]


def test_suite_notes_without_replicas(run_suite) -> None:
    run = run_suite("resilience", {**FILES, "compose.yaml": COMPOSE.replace("3", "1").replace(
        '"-w", "2", ', "")})
    assert run.outcome("resilience.process-local-state") == "pass"
    assert run.rules("resilience.process-local-state", "note") == [
        "resilience.process-local-state"]


def test_suite_skips_without_state(run_suite) -> None:
    run = run_suite("resilience", {"shop/a.py": "X = {}\n"})
    assert run.outcome("resilience.process-local-state") == "skip"


def test_replicas_of_a_service_not_running_the_code_do_not_count(run_suite) -> None:
    other = COMPOSE.replace("registry.example.com/api:1", "redis:7").replace(
        '["gunicorn", "-w", "2", "shop.wsgi"]', '["redis-server"]')
    run = run_suite("resilience", {**FILES, "compose.yaml": other})
    assert run.outcome("resilience.process-local-state") == "pass"
    assert "no evidence" in run.check("resilience.process-local-state")["evidence"]["processes"]


# --- more evidence of several processes (issue 15.6): Dockerfiles, env, Kubernetes ------

@pytest.mark.parametrize(("command", "env", "count"), [
    ("gunicorn shop.wsgi", {"WEB_CONCURRENCY": "4"}, 4),
    ("uvicorn shop.app:app", {"WEB_CONCURRENCY": "3"}, 3),
    ("gunicorn shop.wsgi", {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:80 --workers 5"}, 5),
    ("gunicorn -w 2 shop.wsgi", {"WEB_CONCURRENCY": "8"}, 2),        # the command wins
    ("gunicorn -w4 shop.wsgi", {}, 4),
    ("hypercorn shop:app", {"WEB_CONCURRENCY": "4"}, 1),             # hypercorn does not read it
    ("gunicorn shop.wsgi", {"WEB_CONCURRENCY": "${WORKERS}"}, 1),
    ("python -m shop", {"WEB_CONCURRENCY": "4"}, 1),
])
def test_workers_from_the_environment(command: str, env: dict[str, str], count: int) -> None:
    assert replicas.workers(command, env)[0] == count


MANIFEST = """apiVersion: v1
kind: Service
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/shop:1.4
          args: ["gunicorn", "shop.wsgi"]
          env:
            - {name: WEB_CONCURRENCY, value: "2"}
"""


def test_kubernetes_workloads() -> None:
    [w] = replicas.workloads("deploy/k8s.yaml", MANIFEST)
    assert (w.kind, w.name, w.replicas, w.line) == ("Deployment", "shop", 3, 10)
    assert [(c.image, c.command, c.env) for c in w.containers] == [
        ("ghcr.io/acme/shop:1.4", "gunicorn shop.wsgi", {"WEB_CONCURRENCY": "2"})]


@pytest.mark.parametrize("text", [
    "kind: Deployment\nspec: {replicas: {{ .Values.replicas }}}\n",  # a Helm template
    "kind: ConfigMap\ndata: {a: b}\n", "not yaml: [", "",
    "kind: Deployment\nspec: {replicas: many}\n",
])
def test_kubernetes_near_misses(text: str) -> None:
    assert all(w.replicas == 1 for w in replicas.workloads("x.yaml", text))


def test_suite_dockerfile_cmd_workers(run_suite) -> None:
    run = run_suite("resilience", {**FILES, "Dockerfile": 'FROM python:3.12-slim\n'
                                   'CMD ["gunicorn", "-w", "4", "shop.wsgi"]\n'})
    assert run.outcome("resilience.process-local-state") == "fail"
    assert "Dockerfile Dockerfile starts 4 worker" in run.check(
        "resilience.process-local-state")["evidence"]["processes"]


def test_suite_compose_built_service_takes_its_dockerfile_cmd_and_env(run_suite) -> None:
    compose = ("services:\n  api:\n    build: .\n    environment:\n"
               "      WEB_CONCURRENCY: \"3\"\n")
    run = run_suite("resilience", {**FILES, "compose.yaml": compose,
                                   "Dockerfile": 'FROM python:3.12-slim\n'
                                                 'CMD ["gunicorn", "shop.wsgi"]\n'})
    assert run.outcome("resilience.process-local-state") == "fail"
    assert "WEB_CONCURRENCY=3" in run.check("resilience.process-local-state")["evidence"][
        "processes"]


def test_suite_kubernetes_tied_to_the_code_fails(run_suite) -> None:
    run = run_suite("resilience", {**FILES, "deploy/k8s.yaml": MANIFEST})
    assert run.outcome("resilience.process-local-state") == "fail"
    assert "Kubernetes Deployment shop runs 6 processes" in run.check(
        "resilience.process-local-state")["evidence"]["processes"]


def test_suite_kubernetes_not_tied_to_the_code_warns(run_suite) -> None:
    other = MANIFEST.replace("ghcr.io/acme/shop:1.4", "nginx:1.27").replace(
        '["gunicorn", "shop.wsgi"]', "[]")
    run = run_suite("resilience", {**FILES, "deploy/k8s.yaml": other})
    assert run.outcome("resilience.process-local-state") == "warn"
    assert "names no package" in run.check("resilience.process-local-state")["evidence"][
        "processes"]


def test_suite_kubernetes_one_replica_is_a_note(run_suite) -> None:
    one = MANIFEST.replace("replicas: 3", "replicas: 1").replace('value: "2"', 'value: "1"')
    run = run_suite("resilience", {**FILES, "deploy/k8s.yaml": one})
    assert run.outcome("resilience.process-local-state") == "pass"
    assert "no evidence" in run.check("resilience.process-local-state")["evidence"]["processes"]


# --- functools caches on functions returning data that must be shared ---------------------

@pytest.mark.parametrize(("source", "line", "kind"), [
    ("import functools\n@functools.lru_cache(maxsize=1024)\ndef user_permissions(uid):\n"
     "    return db.perms(uid)\n", 2, "functools.lru_cache"),
    ("from functools import cache\n@cache\ndef get_session(key):\n    return load(key)\n",
     2, "functools.cache"),
    ("from cachetools.func import ttl_cache\n@ttl_cache(ttl=60)\ndef token_is_revoked(j):\n"
     "    return q(j)\n", 2, "cachetools.func.ttl_cache"),
    ("from async_lru import alru_cache\nclass A:\n    @alru_cache()\n"
     "    async def roles_of(self, u):\n        return u\n", 3, "async_lru.alru_cache"),
])
def test_cached_functions_named_after_shared_data(source: str, line: int, kind: str) -> None:
    assert [(ln, k) for ln, _, k in states(source)] == [(line, kind)]


@pytest.mark.parametrize("source", [
    "import functools\n@functools.cache\ndef http():\n    return pool()\n",   # a client
    "from functools import lru_cache\n@lru_cache\ndef get_settings():\n    return S()\n",
    "from functools import lru_cache\n@lru_cache\ndef get_user_model():\n    return U\n",
    "from functools import lru_cache\n@lru_cache\ndef get_db_session():\n    return S()\n",
    "def user_permissions(uid):\n    return db.perms(uid)\n",                  # not cached
    "import functools\n@functools.wraps(f)\ndef user_roles(u):\n    return u\n",
])
def test_cached_function_near_misses(source: str) -> None:
    assert states(source) == []


def test_cached_function_levels() -> None:
    found = resilience.process_local_state([module_of(
        "import functools\n@functools.lru_cache\ndef user_permissions(uid):\n    return 1\n")])
    many = resilience.Replicas(3, "compose service api runs 3 processes")
    assert [f.level for f in resilience.process_state_findings(found, many)] == ["warning"]
    assert [f.level for f in resilience.process_state_findings(found, None)] == ["note"]


CACHED = {"shop/__init__.py": "",
          "shop/perms.py": "import functools\n@functools.lru_cache(maxsize=None)\n"
                           "def user_permissions(uid):\n    return {uid}\n"}


def test_suite_cached_function_with_replicas_warns(run_suite) -> None:
    run = run_suite("resilience", {**CACHED, "compose.yaml": COMPOSE})
    assert run.outcome("resilience.process-local-state") == "warn"
    assert [(f["file"], f["line"]) for f in run.findings("resilience.process-local-state")] == [
        ("shop/perms.py", 2)]


def test_suite_cached_function_alone_is_a_note(run_suite) -> None:
    run = run_suite("resilience", CACHED)
    assert run.outcome("resilience.process-local-state") == "pass"
    assert run.rules("resilience.process-local-state", "note") == [
        "resilience.process-local-state"]
