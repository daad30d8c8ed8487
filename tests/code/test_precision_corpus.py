"""Precision on messy trees: every rule of the five code suites, positives and near misses.

Each case is a small module; a trailing ``# expect: rule[:level]`` marks a line that
must be reported (the marker is stripped before the file is written, so it cannot
influence the scan). Lines without a marker must stay quiet. A seeded generator
scatters the cases over nested packages, wraps them in noise (docstrings with code
examples, comments naming the very calls the rules look for, unicode, CRLF line
endings), adds files the scan must survive (syntax error, binary, Latin-1, a
symlink, positives under tests/ and docs/), runs the five suites through the plugin
and compares every error and warning found with the markers, exactly.
"""

from __future__ import annotations

import os
import random
import re
import textwrap

import pytest

from tests.code.conftest import planted_key, planted_password

CASES: list[str] = [
    # --- secrets -------------------------------------------------------------------
    'import os\n'
    'DB_PASSWORD = os.getenv("DB_PASSWORD", "{PW}")  # expect: secrets.hardcoded:fallback-default',
    'import os\nDB_PASSWORD = os.getenv("DB_PASSWORD")\nAPI_KEY = os.environ["API_KEY"]',
    'STRIPE = "{KEY}"  # expect: secrets.hardcoded:api-key',
    'client = Client(host="api", api_key="{PW}")  # expect: secrets.hardcoded:keyword-argument',
    'def key():\n    """Set ``API_KEY = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"`` first."""\n'
    '    return settings.api_key',
    'DSN = "postgresql://app:{PW}@db:5432/app"  # expect: secrets.hardcoded:dsn-password',
    'DSN = "postgresql://app:${DB_PASSWORD}@db:5432/app"',
    # names of secrets that hold none (issue 15.9): a value spelling its own name, URL
    # paths, grant-type and enum constants, placeholders; near misses stay found
    'SECRET_KEY = "SECRET_KEY"\nrefresh_token = "refresh_token"\n'
    'TOKEN = "/api/token"\nAUTH_TOKEN = "/auth/{client}/token"',
    'REFRESH_TOKEN = "refresh_token"\nGRANT_TYPE_PASSWORD = "password"\n'
    'FIELD_PASSWORD = "password"\nTOKEN_TYPE_BEARER = "bearer"\n'
    'GRANT_TYPE_TOKEN = "urn:ietf:params:oauth:grant-type:jwt-bearer"',
    'from enum import Enum\nclass GrantType(str, Enum):\n    PASSWORD = "password"\n'
    '    REFRESH_TOKEN = "refresh_token"\n    CLIENT_CREDENTIALS = "client_credentials"\n'
    'class TokenType(Enum):\n    ACCESS = "access_token"\n    SECRET = "secret"',
    'EXAMPLE_API_KEY = "<your-api-key>"\nAPI_TOKEN = "${API_TOKEN}"',
    'GRANT_TYPE_PASSWORD = "{PW}"  # expect: secrets.hardcoded:assignment',
    'from enum import Enum\nclass Keys(Enum):\n'
    '    STRIPE = "{KEY}"  # expect: secrets.hardcoded:api-key',
    'DB_PASSWORD = "password"  # expect: secrets.hardcoded:assignment',
    'import logging\nlog = logging.getLogger(__name__)\ndef issue(user, token):\n'
    '    log.info(f"issued {token} for {user}")  # expect: secrets.logged\n'
    '    log.info("issued %s for %s", mask(token), user.name)\n'
    '    log.debug("token length %d, prefix %s", len(token), token[:4])\n'
    '    log.info("token_type=%s expires=%s", token_type, token_expiry)',
    # --- auth: TLS, CORS, JWT, admin, hashing, events, revocation -----------------------
    'import requests\n'
    'requests.get(url, verify=False, timeout=5)  # expect: auth.tls-verification:verify-off',
    'import ssl\nctx = ssl.create_default_context()\n'
    'ctx.check_hostname = False  # expect: auth.tls-verification:verify-off\n'
    'ctx.verify_mode = ssl.CERT_NONE  # expect: auth.tls-verification:verify-off',
    'import ssl\nassert ctx.verify_mode != ssl.CERT_NONE, "verification stays on"',
    'import os\n'
    'VERIFY = os.getenv("VERIFY_SSL", "false")  # expect: auth.tls-verification:verify-off',
    'from fastapi.middleware.cors import CORSMiddleware\n'
    'app.add_middleware(  # expect: auth.cors-credentials\n'
    '    CORSMiddleware, allow_origins=["*"], allow_credentials=True)',
    'from fastapi.middleware.cors import CORSMiddleware\n'
    'app.add_middleware(CORSMiddleware, allow_origins=["*"])',
    'import jwt\ndef make(sub):\n'
    '    return jwt.encode({"sub": sub}, settings.signing_key)'
    '  # expect: auth.jwt-secret-strength:warning',
    'import jwt, os\nKEY = os.environ["JWT_KEY"]\n'
    'if len(KEY) < 32:\n    raise SystemExit("short")\n'
    'def make_guarded(sub):\n    return jwt.encode({"sub": sub}, KEY, algorithm="HS256")',
    'import jwt\ndef read(t):\n'
    '    return jwt.decode(  # expect: auth.jwt-secret-strength\n'
    '        t, options={"verify_signature": False}, key=KEY)',
    'create_user("admin", "admin")  # expect: auth.default-admin',
    'import os\ncreate_user("admin", os.environ["ADMIN_PASSWORD"])',
    'ADMIN_PASSWORD = "{PW}"  # expect: auth.default-admin, secrets.hardcoded:assignment',
    'import hashlib\ndef store(password):\n'
    '    return hashlib.sha1(password.encode()).hexdigest()'
    '  # expect: auth.password-hashing:weak-hash',
    'import hashlib\ndef etag(body):\n    return hashlib.md5(body).hexdigest()\n'
    'def same(form):\n    return form.password == form.confirm_password',
    'def matches(user, password):\n'
    '    return user.password == password  # expect: auth.password-hashing:plaintext',
    'import logging\nlog = logging.getLogger(__name__)\ndef login(user, pw):\n'
    '    log.info("login %s", user)\n    return True',
    'def logout(user):  # expect: auth.events-logged:warning\n    SESSIONS.pop(user, None)',
    'import logging\nlog = logging.getLogger("auth")\ndef revoke_token(jti):\n'
    '    log.info("revoked %s", jti)\n    DENY.add(jti)\n'
    'def change_password(user):\n    revoke_token(user.jti)',
    # --- async blocking -----------------------------------------------------------------
    'import time\nasync def handler():\n'
    '    time.sleep(1)  # expect: async.blocking-calls:time-sleep',
    'from time import sleep as nap\nasync def h2():\n'
    '    nap(1)  # expect: async.blocking-calls:time-sleep',
    'import subprocess\nasync def run():\n'
    '    subprocess.run(["ls"])  # expect: async.blocking-calls:subprocess',
    'import sqlite3\nasync def q():\n'
    '    sqlite3.connect("x.db")  # expect: async.blocking-calls:sync-db',
    'async def read():\n    with open("x") as fh:  # expect: async.blocking-calls:file-io:warning\n'
    '        return fh.read()',
    'import asyncio, time\ndef work():\n    time.sleep(1)\nasync def offload():\n'
    '    await asyncio.to_thread(work)',
    'import time\ndef slow():\n    time.sleep(1)  # expect: async.blocking-calls:time-sleep\n'
    'async def direct():\n    slow()',
    'import requests\nasync def pull():\n'
    '    requests.get(url, timeout=3)  # expect: async.blocking-calls:sync-http',
    # process-local state without replicas: a note (not counted here), the check passes
    '_JOBS = {}\ndef start(job_id, job):\n    _JOBS[job_id] = job',
    # --- outbound resilience --------------------------------------------------------------
    'import requests\ndef fetch():\n'
    '    return requests.get(url)  # expect: resilience.http-timeout',
    'import httpx\nclient = httpx.Client()  # expect: resilience.http-timeout:warning',
    'import requests\ns = requests.Session()\ns.get(url, timeout=(3, 10))\n'
    'requests.get(url, **kwargs)',
    'import grpc\nch = grpc.insecure_channel("svc:50051")'
    '  # expect: resilience.grpc-keepalive:warning',
    'import grpc\nOPTS = [("grpc.keepalive_time_ms", 30000)]\n'
    'ch = grpc.insecure_channel("svc:50051", options=OPTS)',
    'from tenacity import retry, wait_exponential\n@retry(wait=wait_exponential())\n'
    'def call_partner():\n    return 1',
    'import pybreaker\nbreaker = pybreaker.CircuitBreaker(fail_max=5)\n@breaker\n'
    'def guarded_call():\n    return 1',
    # --- db pools ---------------------------------------------------------------------------
    'from sqlalchemy import create_engine\n'
    'engine = create_engine(URL)  # expect: pools.explicit-size:warning',
    'import asyncpg\nasync def pool():\n'
    '    return await asyncpg.create_pool(DSN, min_size=2, max_size=10)',
]

NOISE: list[str] = [
    '"""Helpers.\n\nExample::\n\n    requests.get(url)\n    time.sleep(1)\n'
    '    API_KEY = "sk-xxxxxxxxxxxxxxxxxxxxxxxx"\n"""\n',
    "# verify=False would be wrong here; so would time.sleep(1) in async code\n",
    'class Record:\n    """A row."""\n\n    def __init__(self, name: str) -> None:\n'
    '        self.name = name  # ünïcode ☃\n',
    "LABELS = {'password': 'Password', 'token': 'Token'}\n",
    "def helper(x):\n    return [y for y in range(x) if y % 2]\n",
    "@dataclass\nclass Settings:\n    timeout: float = 10.0\n    retries: int = 3\n",
    "PATTERN = r'password\\s*=\\s*(\\S+)'\n",
    "message = 'call requests.get(url, verify=False) only in the lab'\n",
]
MARKER = re.compile(r"\s*# expect: (?P<rules>.+)$")
POSITIVES_IN_TESTS = 'import requests, time\nrequests.get(url, verify=False)\n' \
                     'async def t():\n    time.sleep(1)\nADMIN_PASSWORD = "{PW}"\n'


def strip_markers(source: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The source without markers, and (line, rule, level) for each marked line."""
    lines, expected = [], []
    for number, line in enumerate(source.splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            for item in match["rules"].split(","):
                rule, _, level = item.strip().rpartition(":")
                if level not in ("error", "warning", "note"):  # rule ids hold ":" too
                    rule, level = item.strip(), ""
                expected.append((number, rule, level or "error"))
            line = line[: match.start()]
        lines.append(line)
    return "\n".join(lines) + "\n", expected


def messy_tree(seed: int) -> tuple[dict[str, bytes], set[tuple[str, str, int, str]]]:
    """Files (rel -> bytes) and every (rule, file, line, level) they must produce."""
    rng = random.Random(seed)
    fill = {"PW": planted_password(), "KEY": planted_key()}
    files: dict[str, bytes] = {}
    expected: set[tuple[str, str, int, str]] = set()
    for index, case in enumerate(CASES):
        source = case.replace("{PW}", fill["PW"]).replace("{KEY}", fill["KEY"])
        source, marks = strip_markers(source)
        prefix = "".join(rng.sample(NOISE, k=rng.randint(0, 3)))
        suffix = "".join(rng.sample(NOISE[1:], k=rng.randint(0, 2)))
        text = prefix + source + suffix
        offset = prefix.count("\n")
        depth = "/".join(f"p{rng.randint(0, 3)}" for _ in range(rng.randint(0, 3)))
        rel = "/".join(filter(None, ["app", depth, f"case_{index}.py"]))
        newline = "\r\n" if rng.random() < 0.25 else "\n"
        files[rel] = text.replace("\n", newline).encode()
        expected |= {(rule, rel, line + offset, level) for line, rule, level in marks}
    files["app/broken.py"] = b"def f(:\n    pass\n"
    files["app/blob.bin"] = bytes(range(256)) * 4
    files["app/latin.py"] = "# café\nx = 'naïve'\n".encode("latin-1")
    files["tests/test_positives.py"] = POSITIVES_IN_TESTS.replace("{PW}", fill["PW"]).encode()
    # a vendored, minified third-party file: its look-alikes are notes at most (scope)
    files["app/static/vendor.min.js"] = ("!function(){var e={" + ",".join(
        f"a{i}:{i}" for i in range(300)) + f'}};var token="{fill["KEY"]}"}}();\n').encode()
    files["docs/guide.md"] = f'Never write `API_KEY = "{fill["KEY"]}"`.\n'.encode()
    return files, expected


def write_bytes_tree(root, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.symlink(root / "app" / "case_0.py", root / "app" / "link_to_case.py")


def test_markers_are_parsed() -> None:
    source, marks = strip_markers(textwrap.dedent('''\
        x = 1
        y = f()  # expect: a.b, c.d:warning
        '''))
    assert source == "x = 1\ny = f()\n" and marks == [(2, "a.b", "error"), (2, "c.d", "warning")]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_rule_exactly_on_a_messy_tree(seed: int, pytester: pytest.Pytester) -> None:
    import json

    files, expected = messy_tree(seed)
    write_bytes_tree(pytester.path / "code", files)
    pytester.makefile(".yaml", readiness="system: t\ncodebases: [{path: code}]\n")
    pytester.runpytest("--readiness", "--readiness-suite",
                       "secrets,auth,async,resilience,pools",
                       "--readiness-json", "out.json", "-p", "no:cacheprovider")
    checks = json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))["checks"]
    found = [(f["rule"], f["file"], f.get("line"), f["level"], f.get("snippet", ""))
             for c in checks for f in c["evidence"].get("findings", [])]
    actual = {(r, file, line, level) for r, file, line, level, _ in found if level != "note"}
    # The file no parser reads is said by every AST check that judged the code (a warning:
    # production); retry and circuit breaker found theirs in what was read, and pass.
    expected = expected | {(check, "app/broken.py", 1, "warning") for check in (
        "async.blocking-calls", "auth.cors-credentials", "auth.default-admin",
        "auth.events-logged", "auth.jwt-secret-strength", "auth.password-hashing",
        "auth.tls-verification", "auth.token-revocation", "pools.explicit-size",
        "resilience.grpc-keepalive", "resilience.http-timeout",
        "resilience.process-local-state")}
    assert sorted(actual - expected) == [], "false positives"
    assert sorted(expected - actual) == [], "missed"
    assert all(snippet for *_, level, snippet in found if level != "note")
    notes = {(r, file) for r, file, _, level, _ in found if level == "note"}
    assert {("auth.tls-verification:verify-off", "tests/test_positives.py"),
            ("async.blocking-calls:time-sleep", "tests/test_positives.py")} <= notes
    outcomes = {c["id"]: c["outcome"] for c in checks}
    assert outcomes == {
        "secrets.hardcoded": "fail", "secrets.logged": "fail",
        "secrets.env-committed": "skip",  # no .env
        "secrets.template-values": "skip", "secrets.config-keys": "skip",  # no templates
        "auth.tls-verification": "fail", "auth.cors-credentials": "fail",
        "auth.jwt-secret-strength": "fail", "auth.default-admin": "fail",
        "auth.password-hashing": "fail", "auth.token-revocation": "warn",  # broken.py
        "auth.events-logged": "warn", "async.blocking-calls": "fail",
        "async.sync-driver-imports": "skip", "resilience.http-timeout": "fail",
        "resilience.retry-backoff": "pass", "resilience.circuit-breaker": "pass",
        "resilience.grpc-keepalive": "warn", "pools.explicit-size": "warn",
        "resilience.process-local-state": "warn",  # broken.py; the state alone is a note
    }
    text = (pytester.path / "out.json").read_text(encoding="utf-8")
    unparseable = next(c for c in checks if c["id"] == "secrets.hardcoded")["evidence"]
    assert any("app/broken.py" in item for item in unparseable["python_unparseable"])
    assert "case_0" in text
