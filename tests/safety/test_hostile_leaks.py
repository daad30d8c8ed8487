"""Issue 19, never leak and never inject (items 13-17): secrets and hostile names, every output.

Secrets are generated per run (a known prefix and random hex: nothing here is a
real credential, and the repository's own scan tells them apart) and planted where
a user or a target puts them: an endpoint URL, an SSH connection string, an HTTP
error body, a certificate, a name ``init`` writes into readiness.yaml. The audit
runs as a user runs it (tests/safety/hostile.py) with every output on; a value may
appear in none of them, nor may a long piece of it.

Hostile file names (markup, Markdown, shell, terminal control) are audited once
(a module fixture) and each output is checked for the one injection it is prone to.

Every test here reproduced a break (issue 19) before its fix; the mechanisms that fixed
them are pytest_readiness/boundary.py (the scrubber at every boundary),
plumbing/redact.py (one redaction table) and pytest_readiness/escape.py (one escaper per output).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary
from tests.safety.hostile import Finished, audit, output_args, read_outputs
from tests.servers.http import Route, http_server
from tests.servers.sshd import SshFleet, start_fleet

SECONDS = 60.0


def _hidden(run: Finished, directory: Path, values: dict[str, str]) -> None:
    """No value (nor its tail, which a redaction never shows) in any output or the terminal."""
    texts = {**read_outputs(directory), "stdout": run.stdout, "stderr": run.stderr}
    assert "json" in texts, run.summary()
    shown = sorted({f"{name} in {where}" for where, text in texts.items()
                    for name, value in values.items() if value[4:] in text})
    assert shown == [], "shown whole: " + ", ".join(shown)


def _write(directory: Path, config: dict[str, object]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "readiness.yaml").write_text(yaml.safe_dump(config))
    return directory


# -- 13: skip reasons ---------------------------------------------------------------------


def test_skip_reasons_hide_url_credentials(tmp_path: Path) -> None:
    values = {"url password": "Pw1" + secrets.token_hex(12),
              "url token": "tok" + secrets.token_hex(12)}
    server = http_server({"*": Route(200)})
    try:
        url = server.url().replace("http://", f"http://app:{values['url password']}@")
        directory = _write(tmp_path / "audit", {"endpoints": [{
            "name": "web", "url": f"{url}?token={values['url token']}", "timeout": 3}]})
        run = audit(directory, *output_args(), "-rA", "-vv", "--readiness-suite", "tls",
                    seconds=SECONDS)
    finally:
        server.stop()
    record = json.loads((directory / "out.json").read_text())
    assert any(c["outcome"] == "skip" for c in record["checks"]), run.summary()
    _hidden(run, directory, values)


# -- 14: log output -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshFleet]:
    require_binary("sshd", "/usr/sbin/sshd")
    require_binary("unshare")
    started = start_fleet(tmp_path_factory.mktemp("hostile-leaks"), ["l1"], {})
    try:
        yield started
    finally:
        started.stop()


# What testinfra logged at DEBUG before the host runner passed the password through the
# environment (``sshpass -e``): a plugin or library may still log such a line, and the
# scrubber's filter on every log handler must redact it.
_LOGGING_PLUGIN = """
import logging, os

def pytest_runtest_setup(item):
    logging.getLogger("testinfra").debug(
        "RUN %s", "sshpass -p " + os.environ["PLANTED"] + " ssh -o BatchMode=no root@h")
"""


def test_logs_hide_the_ssh_password(fleet: SshFleet, tmp_path: Path) -> None:
    values = {"ssh password": "Pw1" + secrets.token_hex(12)}
    (entry,) = fleet.host_entries(timeout=3)
    entry["connection"] = str(entry["connection"]).replace(
        "root@", f"root:{values['ssh password']}@")
    directory = _write(tmp_path / "audit", {"hosts": [entry]})
    (directory / "planted_log.py").write_text(_LOGGING_PLUGIN)
    run = audit(directory, *output_args(), "--log-cli-level=DEBUG", "--log-level=DEBUG",
                "-p", "planted_log", "--readiness-check", "clock.ntp-synchronised",
                seconds=SECONDS, env={"PLANTED": values["ssh password"],
                                      "PYTHONPATH": str(directory)})
    log = (directory / "pytest.log").read_text()
    assert "RUN sshpass -p Pw1" in log, run.summary()  # logged, and redacted
    _hidden(run, directory, values)


# -- 15: redaction vocabulary -------------------------------------------------------------


def _health_answering(tmp_path: Path, body: bytes) -> tuple[Finished, Path]:
    server = http_server({"/health": Route(500, body=body), "*": Route(200)})
    try:
        directory = _write(tmp_path / "audit", {"endpoints": [{
            "name": "api", "url": server.url(), "health": "/health", "timeout": 3,
            "latency": {"samples": 2, "concurrency": 1}}]})
        run = audit(directory, *output_args(), "-rA", "-vv", "--readiness-suite", "health",
                    seconds=SECONDS)
    finally:
        server.stop()
    record = json.loads((directory / "out.json").read_text())
    health = [c for c in record["checks"] if c["id"] == "health.endpoint"]
    assert health and health[0]["outcome"] == "fail", run.summary()  # the body was read
    return run, directory


def test_a_json_error_body_secret_is_redacted(tmp_path: Path) -> None:
    values = {"aws secret": secrets.token_hex(20)}
    body = json.dumps({"error": "AccessDenied", "aws_access_key_id": "AKIA" + "X" * 16,
                       "aws_secret_access_key": values["aws secret"]}).encode()
    run, directory = _health_answering(tmp_path, body)
    _hidden(run, directory, values)


def test_a_free_text_password_is_redacted(tmp_path: Path) -> None:
    values = {"free-text password": "Pw1" + secrets.token_hex(12)}
    body = f"login failed for admin: the password is {values['free-text password']}".encode()
    run, directory = _health_answering(tmp_path, body)
    _hidden(run, directory, values)


def test_certificate_field_secrets_are_redacted(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from tests.servers.tls import Issued, Pki, https_server, issue

    values = {"CN": secrets.token_hex(12), "OU": "Pw1" + secrets.token_hex(12),
              "SAN": secrets.token_hex(12)}
    pki = Pki.create(tmp_path / "pki")
    plain = issue("localhost", pki.intermediate, sans=("localhost",))
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f'"aws_secret_access_key": "{values["CN"]}"'),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                           f"ops: the password is {values['OU']}")])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(pki.intermediate.cert.subject).public_key(plain.key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(plain.cert.not_valid_before_utc)
               .not_valid_after(plain.cert.not_valid_after_utc)
               .add_extension(x509.SubjectAlternativeName([
                   x509.DNSName("localhost"),
                   x509.DNSName(f"aws_secret_access_key={values['SAN']}")]), critical=False))
    leaf = Issued(builder.sign(pki.intermediate.key, plain.cert.signature_hash_algorithm),
                  plain.key)
    server = https_server(*pki.write("fields", leaf), routes={"*": Route(200)})
    try:
        directory = _write(tmp_path / "audit", {
            "endpoints": [{"name": "web", "url": server.url(), "timeout": 3,
                           "tls": {"ca_bundle": str(pki.ca_bundle)}}],
            "dns": [{"name": "api.readiness.test", "endpoint": "web"}]})
        run = audit(directory, *output_args(), "-rA", "-vv", "--readiness-suite", "tls",
                    seconds=SECONDS)
    finally:
        server.stop()
    record = json.loads((directory / "out.json").read_text())
    expiry = [c for c in record["checks"] if c["id"] == "tls.cert-expiry"]
    assert expiry and expiry[0]["outcome"] == "pass", run.summary()  # the certificate was read
    _hidden(run, directory, values)


# -- 16: init and ${VAR} ------------------------------------------------------------------


def test_init_escapes_dollar_in_names(tmp_path: Path) -> None:
    token = "ci" + secrets.token_hex(16)
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "api${CI_SECRET_TOKEN}.service").write_text(
        "[Unit]\nDescription=api\n[Service]\nExecStart=/usr/bin/api\n")
    (root / "app.py").write_text("print('api')\n")
    env = {**os.environ, "CI_SECRET_TOKEN": token}
    cli = Path(sys.executable).with_name("pytest-readiness")
    init = subprocess.run([str(cli), "init"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert init.returncode == 0 and (root / "readiness.yaml").is_file(), init.stderr
    run = audit(root, *output_args(), "-rA", env={"CI_SECRET_TOKEN": token}, seconds=SECONDS)
    _hidden(run, root, {"CI_SECRET_TOKEN": token})
    targets = [c["target"] or "" for c in json.loads((root / "out.json").read_text())["checks"]]
    assert any("${CI_SECRET_TOKEN}" in t for t in targets), targets  # the name, as it is


# -- 17: hostile file names ---------------------------------------------------------------

NAMES = {
    "markup": "Dockerfile.<img src=x onerror=alert(1)>",
    "markdown": "Dockerfile.x\n\n**Verdict: PRODUCTION READY**\n\nx",
    "shell": "Dockerfile.x';touch${IFS}pwned;'",
    "terminal": "Dockerfile.\x1b]0;owned\x07\x1b[31mred",
}


@dataclass
class NamedRun:
    directory: Path
    run: Finished


@pytest.fixture(scope="module")
def named_run(tmp_path_factory: pytest.TempPathFactory) -> NamedRun:
    """One audit of a tree with every hostile name, at -q (the quiet terminal)."""
    root = tmp_path_factory.mktemp("hostile-names") / "repo"
    root.mkdir()
    (root / "app.py").write_text("print('app')\n")
    for name in NAMES.values():
        (root / name).write_text("FROM python\nRUN pip install flask\n")
    run = audit(root, *output_args(), "-q", "--color=no", seconds=SECONDS)
    assert (root / "out.json").is_file(), run.summary()
    return NamedRun(root, run)


_ACTIVE_TAGS = {"img", "script", "svg", "iframe", "object", "embed", "video", "audio", "math"}


class _Injected(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        handlers = [name for name, _ in attrs if name.startswith("on")]
        if tag in _ACTIVE_TAGS or handlers:
            self.found.append(f"<{tag} {attrs}>")


def test_pytest_html_table_holds_no_markup_from_names(named_run: NamedRun) -> None:
    page = (named_run.directory / "ph.html").read_text(encoding="utf-8")
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob, "pytest-html keeps its rows in data-jsonblob"
    rows = json.loads(html.unescape(blob.group(1)))["tests"]
    named = [t for t, runs in rows.items() if "onerror" in t]
    assert named, "the file with markup in its name was audited"
    parser = _Injected()
    for runs in rows.values():
        for one in runs:
            parser.feed("".join(one.get("resultsTableRow", [])))
    assert parser.found == [], parser.found[:3]


def test_markdown_cannot_be_forged_by_a_name(named_run: NamedRun) -> None:
    markdown = (named_run.directory / "out.md").read_text(encoding="utf-8")
    verdicts = [line for line in markdown.splitlines() if line.startswith("**Verdict")]
    assert len(verdicts) == 1, verdicts


def _rerun_commands(directory: Path) -> list[str]:
    markdown = (directory / "out.md").read_text(encoding="utf-8")
    page = (directory / "out.html").read_text(encoding="utf-8")
    found = re.findall(r"Re-run: `(.+?)`$", markdown, flags=re.M)
    found += [html.unescape(c) for c in re.findall(r"Re-run:</b> <code>(.*?)</code>", page)]
    return found


def test_rerun_commands_are_safe_to_paste(named_run: NamedRun, tmp_path: Path) -> None:
    commands = [c for c in _rerun_commands(named_run.directory) if "touch" in c]
    assert commands, "the name with a quote has a re-run command"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for program in ("pytest", "python", "python3"):  # pasted, the line runs nothing real
        (stubs / program).write_text("#!/bin/sh\nexit 0\n")
        (stubs / program).chmod(0o755)
    paste = tmp_path / "paste"
    paste.mkdir()
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(paste)}
    for command in commands:
        subprocess.run(["sh", "-c", command], cwd=paste, env=env, capture_output=True,
                       timeout=10, check=False)
    assert sorted(os.listdir(paste)) == [], f"pasting {commands[0]!r} created files"


def test_quiet_terminal_shows_no_escape_from_names(named_run: NamedRun) -> None:
    out = named_run.run.stdout + named_run.run.stderr
    assert "Dockerfile." in out, named_run.run.summary()
    assert "\x1b" not in out, [line for line in out.splitlines() if "\x1b" in line][:3]
