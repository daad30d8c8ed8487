"""Code-scan benchmark: the five code suites over a generated tree of Python files.

Generates a tree of realistic modules (imports, async handlers, HTTP clients with
and without timeouts, DB engines, JWT helpers, a few planted secrets, config files
and docs) in a temporary directory, then measures:

1. the whole code suite through pytest in a subprocess
   (``pytest --readiness --readiness-suite secrets,auth,async_blocking,
   outbound_resilience,db_pools``), as a user runs it;
2. the probes in-process, one timing per probe (walk, parse, each rule family);
3. ripgrep (``rg``) with the same secret patterns (``plumbing.redact.SECRET_PATTERNS``) over
   the same tree, for comparison with a pure regex scan.

Prints files/s and MB/s for each. Not a test: run it on purpose::

    python benchmarks/bench_code_scan.py            # 5,000 files
    python benchmarks/bench_code_scan.py --files 20000 --keep /tmp/tree
"""

from __future__ import annotations

import argparse
import json
import random
import secrets as _secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUITES = "secrets,auth,async,resilience,pools"

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
IMPORTS = {
    "async_blocking": "import requests", "sync_http": "import requests",
    "engine": "from sqlalchemy import create_engine", "jwt": "import jwt",
}


def planted_block(rng: random.Random, n: int) -> str:
    kind = rng.choice(["key", "fallback", "verify"])
    if kind == "key":
        return f'\nSTRIPE_KEY = "sk-{_secrets.token_urlsafe(30)}"\n'
    if kind == "fallback":
        return f'\nDB_PASSWORD_{n} = os.getenv("DB_PASSWORD", "{_secrets.token_urlsafe(14)}")\n'
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


def rate(label: str, seconds: float, files: int, size: int) -> str:
    return (f"{label:<34} {seconds:8.2f} s  {files / seconds:10.0f} files/s  "
            f"{size / seconds / 1e6:7.2f} MB/s")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_plugin(work: Path, tree: Path) -> tuple[float, dict[str, Any]]:
    (work / "readiness.yaml").write_text(f"system: bench\ncodebases: [{{path: {tree}}}]\n")
    command = [sys.executable, "-m", "pytest", "--readiness", "--readiness-suite", SUITES,
               "--readiness-json", "out.json", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"]
    seconds, done = timed(lambda: subprocess.run(command, cwd=work, capture_output=True,
                                                 text=True, check=False))
    out = work / "out.json"
    if not out.exists():
        sys.exit(f"the plugin run wrote no record:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, json.loads(out.read_text(encoding="utf-8"))


def run_probes(tree: Path) -> list[tuple[str, float]]:
    from pytest_readiness.plumbing import pyast
    from pytest_readiness.plumbing import tree as codebase
    from pytest_readiness.probes.code import async_ as asyncblock
    from pytest_readiness.probes.code import auth, pools, resilience
    from pytest_readiness.probes.code import secrets as secret_probe

    pyast._CACHE.clear()
    steps: list[tuple[str, float]] = []
    seconds, inv = timed(lambda: codebase.inventory(tree))
    steps.append(("walk", seconds))
    seconds, modules = timed(lambda: list(pyast.modules(inv)))
    steps.append(("parse (ast, shared cache)", seconds))
    rules: list[tuple[str, Callable[[], Any]]] = [
        ("secrets (patterns + AST)", lambda: secret_probe.scan(inv)),
        ("auth (7 rule families)", lambda: (
            auth.tls_verification_off(modules), auth.cors_wildcard_with_credentials(modules),
            auth.jwt_uses(modules), auth.default_admin_credentials(modules),
            auth.password_hashing(modules), auth.revocation(modules),
            auth.unlogged_auth_events(modules))),
        ("async blocking", lambda: (asyncblock.blocking_calls(modules),
                                    asyncblock.sync_driver_imports(modules))),
        ("outbound resilience", lambda: (
            resilience.http_calls(modules), resilience.retry_mechanisms(modules),
            resilience.circuit_breakers(modules), resilience.grpc_channels(modules))),
        ("db pools", lambda: pools.pools(modules)),
    ]
    for label, fn in rules:
        steps.append((label, timed(fn)[0]))
    return steps


def run_ripgrep(tree: Path) -> tuple[float, int] | None:
    from pytest_readiness.plumbing.redact import SECRET_PATTERNS as RULES

    rg = shutil.which("rg")
    if rg is None:
        return None
    command = [rg, "--no-config", "--pcre2", "--count-matches", "--no-filename", "--hidden"]
    for rule in RULES:
        command += ["-e", rule.pattern.pattern]
    seconds, done = timed(lambda: subprocess.run([*command, str(tree)], capture_output=True,
                                                 text=True, check=False))
    if done.returncode not in (0, 1):
        print(f"rg failed: {done.stderr.strip()[:300]}")
        return None
    return seconds, sum(int(x) for x in done.stdout.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="generate here and keep the tree")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    tree = work / "tree"
    try:
        count, size = generate(tree, args.files)
        print(f"tree: {count} files ({args.files} Python), {size / 1e6:.1f} MB in {tree}")
        seconds, record = run_plugin(work, tree)
        outcomes = {c["id"]: c["outcome"] for c in record["checks"]}
        findings = sum(len(c["evidence"].get("findings", [])) for c in record["checks"])
        print(rate("whole code suite (pytest)", seconds, count, size))
        print(f"  {len(outcomes)} checks, {findings} findings: "
              + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
        steps = run_probes(tree)
        print(rate("probes in-process (total)", sum(s for _, s in steps), count, size))
        for label, step in steps:
            print(f"  {label:<32} {step:8.2f} s")
        found = run_ripgrep(tree)
        if found:
            print(rate("ripgrep, same secret patterns", found[0], count, size)
                  + f"  ({found[1]} raw matches)")
        else:
            print("ripgrep: not installed (apt-get install ripgrep)")
        print(f"rerun: python benchmarks/bench_code_scan.py --files {args.files}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
