"""Generated source trees for the benchmarks (deterministic for a given seed).

- :func:`generate`: N Python modules plus a few configs and docs (bench_code_scan.py).
- :func:`generate_mixed`: a repository as real ones look: Python packages with tests,
  a JavaScript front end, YAML (Compose, Kubernetes, workflows), Dockerfiles, docs,
  vendored minified files and a few large files (bench_audit.py).

Both reuse the same Python module generator (imports, async handlers, HTTP clients
with and without timeouts, DB engines, JWT helpers, about 1 planted problem in 100).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

HEADER = '''"""{name}: {purpose}.

Example::

    >>> client = {cls}(base_url="https://api.example.com")
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
{extra_imports}

log = logging.getLogger(__name__)
'''

BLOCKS: dict[str, str] = {
    "model": '''

@dataclass
class {cls}:
    id: int
    name: str
    tags: list[str]

    def label(self) -> str:
        return f"{{self.id}}:{{self.name}}"
''',
    "async_ok": '''

async def fetch_{n}(client, item_id: int) -> dict:
    """Fetch one item; retried by the caller."""
    response = await client.get(f"/items/{{item_id}}", timeout=5)
    response.raise_for_status()
    await asyncio.sleep(0)
    return response.json()
''',
    "async_blocking": '''

async def refresh_{n}() -> None:
    import time
    time.sleep(0.1)  # blocks the event loop
    data = requests.get("https://example.com/{n}")
    log.info("refreshed %s", data.status_code)
''',
    "sync_http": '''

def call_partner_{n}(payload: dict) -> dict:
    session = requests.Session()
    r = session.post("https://partner.example/{n}", json=payload, timeout=(3.05, 27))
    return r.json()
''',
    "engine": '''

engine_{n} = create_engine(os.environ["DATABASE_URL"], pool_size=10, max_overflow=5)
default_engine_{n} = create_engine(os.environ["REPORTING_URL"])
''',
    "jwt": '''

JWT_SECRET = os.environ["JWT_SECRET"]
if len(JWT_SECRET) < 32:
    raise SystemExit("JWT_SECRET too short")


def issue_token_{n}(user_id: int) -> str:
    log.info("token issued for %s", user_id)
    return jwt.encode({{"sub": user_id}}, JWT_SECRET, algorithm="HS256")
''',
    "config": '''

DB_PASSWORD = os.getenv("DB_PASSWORD")
API_TIMEOUT = float(os.getenv("API_TIMEOUT", "10"))
VERIFY_SSL = os.getenv("VERIFY_SSL", "true") == "true"
''',
    "loop": '''

def retry_{n}(fn, attempts: int = 3):
    for attempt in range(attempts):
        try:
            return fn()
        except OSError:
            import time
            time.sleep(2 ** attempt)
    raise RuntimeError("gave up")
''',
}
TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
IMPORTS = {
    "async_blocking": "import requests", "sync_http": "import requests",
    "engine": "from sqlalchemy import create_engine", "jwt": "import jwt",
}


def token(rng: random.Random, length: int) -> str:
    """A random URL-safe token from ``rng`` (the tree is the same on every run)."""
    return "".join(rng.choice(TOKEN_CHARS) for _ in range(length))


def planted_block(rng: random.Random, n: int) -> str:
    kind = rng.choice(["key", "fallback", "verify"])
    if kind == "key":
        return f'\nSTRIPE_KEY = "sk-{token(rng, 40)}"\n'
    if kind == "fallback":
        return f'\nDB_PASSWORD_{n} = os.getenv("DB_PASSWORD", "{token(rng, 19)}")\n'
    return f'\n\ndef insecure_{n}(url):\n    return requests.get(url, verify=False, timeout=3)\n'


def module_text(rng: random.Random, n: int) -> str:
    kinds = rng.sample(sorted(BLOCKS), k=rng.randint(2, 5))
    extra = sorted({IMPORTS[k] for k in kinds if k in IMPORTS} | {"import requests"})
    text = HEADER.format(name=f"module_{n}", purpose="service helpers", cls=f"Client{n}",
                         extra_imports="\n".join(extra))
    for kind in kinds:
        text += BLOCKS[kind].format(n=n, cls=f"Record{n}")
    if rng.random() < 0.01:  # about 1 file in 100 holds a planted problem
        text += planted_block(rng, n)
    return text


def generate(root: Path, files: int, seed: int = 7) -> tuple[int, int]:
    """Write ``files`` Python modules plus configs and docs; (file count, bytes)."""
    rng = random.Random(seed)
    count = total = 0
    for n in range(files):
        package = root / "src" / f"pkg{n // 250}" / f"sub{(n // 25) % 10}"
        package.mkdir(parents=True, exist_ok=True)
        path = package / f"module_{n}.py"
        text = module_text(rng, n)
        path.write_text(text, encoding="utf-8")
        count, total = count + 1, total + len(text.encode())
    extras = {
        "deploy/config.yaml": "site_id: 3\napi_endpoint: https://api.example.com\n",
        ".env.example": "DB_PASSWORD=changeme\nAPI_KEY=<api key>\n",
        "docs/setup.md": "Set `API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx` in your shell.\n" * 20,
        "settings.json": json.dumps({"timeout": 10, "verify_ssl": True}),
    }
    for rel, text in extras.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        count, total = count + 1, total + len(text.encode())
    return count, total



# -- a mixed repository -----------------------------------------------------------

TEST_MODULE = '''import pytest

from app.pkg{pkg}.module_{n} import Record{n}


def test_label_{n}():
    assert Record{n}(id=1, name="a", tags=[]).label() == "1:a"


@pytest.mark.parametrize("value", [0, 1, 2])
def test_values_{n}(value):
    assert value >= 0
'''

JS_MODULE = '''import React, {{ useEffect, useState }} from "react";
import {{ apiClient }} from "../lib/api";

const API_URL = process.env.REACT_APP_API_URL || "/api";

export function Component{n}({{ itemId }}) {{
  const [item, setItem] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {{
    const controller = new AbortController();
    fetch(`${{API_URL}}/items/${{itemId}}`, {{ signal: controller.signal }})
      .then((response) => response.json())
      .then(setItem)
      .catch(setError);
    return () => controller.abort();
  }}, [itemId]);

  if (error) return <p className="error">{{String(error)}}</p>;
  return item ? <div className="item-{n}">{{item.name}}</div> : <p>Loading</p>;
}}

export default Component{n};
'''

DOC_PAGE = '''# {title}

This page describes {topic} for the {service} service.

## Overview

The service reads its configuration from the environment (`DATABASE_URL`,
`REDIS_URL`, `API_TIMEOUT`) and exposes `/healthz` and `/metrics` on port {port}.

```sh
export API_KEY=<your api key>
curl -fsS http://localhost:{port}/healthz
```

## Operations

1. Scale with `kubectl scale deployment/{service} --replicas=3`.
2. Roll back with `kubectl rollout undo deployment/{service}`.
3. Logs: `kubectl logs -l app={service} --since=1h`.
'''

DOCKERFILE = '''FROM python:3.12-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt
COPY app ./app

FROM python:3.12-slim
RUN useradd --uid 10001 --create-home app
COPY --from=build /install /usr/local
COPY --from=build /src/app /srv/app
USER app
EXPOSE {port}
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:{port}/healthz')"
CMD ["python", "-m", "app.main"]
'''

K8S_DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}-{part}
  labels: {{app: {service}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {service}}}}}
  template:
    metadata: {{labels: {{app: {service}}}}}
    spec:
      containers:
        - name: {service}
          image: registry.example.com/{service}:1.{part}.0
          ports: [{{containerPort: {port}}}]
          env:
            - {{name: DATABASE_URL, valueFrom: {{secretKeyRef: {{name: db, key: url}}}}}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
          readinessProbe: {{httpGet: {{path: /healthz, port: {port}}}}}
'''

WORKFLOW = '''name: {service}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.12"}}
      - run: pip install -r services/{service}/requirements.txt pytest
      - run: pytest services/{service}/tests
'''


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root, self.count, self.bytes = root, 0, 0

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.count, self.bytes = self.count + 1, self.bytes + len(data)


def minified_js(rng: random.Random, size: int) -> str:
    """One line of minified library code (a vendored file) of about ``size`` bytes."""
    parts = ["/*! vendor lib v3.4.1 | MIT */!function(e,t){'use strict';"]
    length = len(parts[0])
    while length < size:
        a, b, c = (rng.choice(string.ascii_letters) + rng.choice(string.ascii_letters)
                   for _ in range(3))
        piece = (f"function {a}({b},{c}){{var n={b}.length>>>0,r=0;for(;r<n;r++)"
                 f"if({c}.call({b},{b}[r],r))return r;return-1}}"
                 f"e.{a}={a};var {b}{c}={{x:{rng.randint(0, 9999)},y:\"{token(rng, 12)}\"}};")
        parts.append(piece)
        length += len(piece)
    return "".join(parts) + "}(window);\n"


def generated_pb2(rng: random.Random, messages: int) -> str:
    """A large generated Python module (protobuf style)."""
    lines = ['# Generated by the protocol buffer compiler.  DO NOT EDIT!',
             '"""Generated protocol buffer code."""',
             "from google.protobuf import descriptor as _descriptor", ""]
    for m in range(messages):
        lines.append(f"_MESSAGE{m} = _descriptor.Descriptor(")
        lines.append(f"    name='Message{m}', full_name='api.v1.Message{m}', fields=[")
        for f in range(8):
            lines.append(f"        _descriptor.FieldDescriptor(name='field_{f}', index={f}, "
                         f"number={f + 1}, type={rng.randint(1, 18)}, default_value=None),")
        lines.append("    ],")
        lines.append(")")
    return "\n".join(lines) + "\n"


def compose_file(services: list[str]) -> str:
    lines = ["services:"]
    for i, name in enumerate(services):
        lines += [f"  {name}:", f"    build: ./services/{name}",
                  f"    image: registry.example.com/{name}:1.0.{i}",
                  "    restart: unless-stopped", f'    ports: ["{8000 + i}:{8000 + i}"]',
                  "    environment:", "      DATABASE_URL: ${DATABASE_URL}",
                  "    depends_on: [postgres]"]
        if i % 3:
            lines += ["    healthcheck:",
                      f'      test: ["CMD", "curl", "-f", "http://localhost:{8000 + i}/healthz"]']
    lines += ["  postgres:", "    image: postgres:16.3", "    restart: unless-stopped",
              "    environment:", "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}",
              "    volumes: [pgdata:/var/lib/postgresql/data]", "volumes:", "  pgdata: {}"]
    return "\n".join(lines) + "\n"


def generate_mixed(root: Path, files: int = 5000, seed: int = 7) -> tuple[int, int]:
    """A repository of about ``files`` files (at least 200) in a realistic mix; (count, bytes).

    Shares: Python 52% (one test module per 8), JavaScript 15%, docs 10%, YAML 8%,
    Dockerfiles and service files (requirements, env examples, protos) ~8%, JSON
    and other configs; 10 vendored minified files (100-400 KB each, one line) and 4
    large files (seed data 3 MB, a generated protobuf module, package-lock.json, a
    changelog).
    """
    rng = random.Random(seed)
    out = _Writer(root)
    n_services = max(4, files // 125)
    services = [f"svc{i}" for i in range(n_services)]
    out.write("compose.yaml", compose_file(services))
    out.write("compose.override.yaml", "services:\n  svc0:\n    command: [python, -m, app.dev]\n")
    out.write(".env.example", "DATABASE_URL=postgresql://app:changeme@db/app\nAPI_KEY=<key>\n")
    out.write("README.md", DOC_PAGE.format(title="Platform", topic="the whole platform",
                                           service="platform", port=8000) * 3)
    out.write("Makefile", "test:\n\tpytest services\nlint:\n\truff check services\n")
    out.write("pyproject.toml", '[project]\nname = "platform"\nversion = "1.0.0"\n')
    # Vendored and large files.
    for v in range(10):
        out.write(f"frontend/public/vendor/lib{v}.min.js",
                  minified_js(rng, rng.randint(100, 400) * 1000))
    seed_rows = [{"id": i, "name": f"item {i}", "sku": token(rng, 10), "price": i % 997}
                 for i in range(38_000)]
    out.write("data/fixtures/seed.json", json.dumps(seed_rows, indent=1))
    out.write("services/svc0/app/gen/api_pb2.py", generated_pb2(rng, 1200))
    lock = {"name": "frontend", "lockfileVersion": 3, "packages": {
        f"node_modules/pkg-{i}": {"version": f"1.{i % 40}.{i % 7}",
                                  "resolved": f"https://registry.example/pkg-{i}.tgz",
                                  "integrity": "sha512-" + token(rng, 86)} for i in range(5500)}}
    out.write("frontend/package-lock.json", json.dumps(lock, indent=2))
    out.write("CHANGELOG.md", "".join(f"## 1.{i}.0\n\n- Fixed item {i}; see #{i * 3}.\n\n"
                                      for i in range(25_000)))
    # Per service: Dockerfile, requirements, workflow, manifests, README.
    for i, service in enumerate(services):
        port = 8000 + i
        base = f"services/{service}"
        out.write(f"{base}/Dockerfile", DOCKERFILE.format(port=port))
        if i % 5 == 0:
            out.write(f"{base}/Dockerfile.dev", "FROM python:3.12\nCMD [\"sleep\", \"infinity\"]\n")
        out.write(f"{base}/requirements.txt",
                  "requests==2.32.3\nsqlalchemy==2.0.31\npyjwt==2.8.0\n")
        out.write(f"{base}/README.md", DOC_PAGE.format(title=service, topic="running it",
                                                       service=service, port=port))
        out.write(f"{base}/app/__init__.py", "")
        out.write(f"{base}/api.proto", f'syntax = "proto3";\npackage {service}.v1;\n'
                  'service Api { rpc Get (Req) returns (Resp); }\n'
                  'message Req { string id = 1; }\nmessage Resp { string name = 1; }\n')
        out.write(f".github/workflows/{service}.yml", WORKFLOW.format(service=service))
    budget = files - out.count
    shares = {"js": 0.15, "docs": 0.10, "yaml": 0.08, "json": 0.03}
    counts = {kind: int(budget * share) for kind, share in shares.items()}
    for n in range(counts["js"]):
        out.write(f"frontend/src/components/group{n // 50}/Component{n}.jsx",
                  JS_MODULE.format(n=n))
    for n in range(counts["docs"]):
        service = services[n % n_services]
        out.write(f"docs/{service}/page{n}.md", DOC_PAGE.format(
            title=f"{service} page {n}", topic=rng.choice(["deployment", "alerts", "backups"]),
            service=service, port=8000 + n % n_services))
    for n in range(counts["yaml"]):
        service = services[n % n_services]
        out.write(f"deploy/k8s/{service}/deployment-{n}.yaml", K8S_DEPLOYMENT.format(
            service=service, part=n, port=8000 + n % n_services))
    for n in range(counts["json"]):
        out.write(f"frontend/src/i18n/messages{n}.json", json.dumps(
            {f"key_{k}": f"Message {k} of file {n}" for k in range(40)}, indent=2))
    # The rest is Python: packages of modules, one test module per 8.
    n = 0
    while out.count < files:
        service = services[n % n_services]
        pkg = n // 25
        if n % 8 == 7:
            out.write(f"services/{service}/tests/test_module_{n}.py",
                      TEST_MODULE.format(pkg=pkg, n=n - 1))
        else:
            if n % 25 == 0:
                out.write(f"services/{service}/app/pkg{pkg}/__init__.py", "")
            out.write(f"services/{service}/app/pkg{pkg}/module_{n}.py", module_text(rng, n))
        n += 1
    return out.count, out.bytes
