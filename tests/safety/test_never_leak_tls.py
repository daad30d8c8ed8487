"""Never leak, the certificate side and the quiet terminals.

A TLS server on 127.0.0.1 serves a certificate whose subject carries secrets
(an API key in the OU, a JWT in the O) and answers HTTP with a token in a header
and in its body. The tls, http_headers and health suites read all of it; at
``-q``, at the default verbosity and at ``-vv --showlocals -l`` none of the
planted values (nor a long piece of one) may reach the terminal or a report.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.servers.http import Route
from tests.servers.tls import Issued, Pki, https_server, issue

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out


def _random(n: int = 24) -> str:
    return secrets.token_urlsafe(n).replace("-", "A").replace("_", "b")


def _planted() -> dict[str, str]:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": _random()}).encode()).decode()
    return {"ou_api_key": "sk-live-" + _random(),
            "o_jwt": f"{header}.{body.rstrip('=')}.{_random()}",
            "response_token": "Resp1" + _random()}


def _leaf_with_secret_subject(pki: Pki, planted: dict[str, str]) -> Issued:
    """A valid leaf for localhost whose subject O and OU hold the planted secrets."""
    plain = issue("localhost", pki.intermediate, sans=("localhost",))
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"ops {planted['ou_api_key']}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, planted["o_jwt"]),
    ])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(pki.intermediate.cert.subject)
               .public_key(plain.key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(plain.cert.not_valid_before_utc)
               .not_valid_after(plain.cert.not_valid_after_utc))
    for extension in plain.cert.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return Issued(builder.sign(pki.intermediate.key, plain.cert.signature_hash_algorithm),
                  plain.key)


@pytest.fixture(scope="module")
def secret_server(tmp_path_factory: pytest.TempPathFactory):
    planted = _planted()
    pki = Pki.create(tmp_path_factory.mktemp("pki"))
    leaf = _leaf_with_secret_subject(pki, planted)
    token = planted["response_token"]
    server = https_server(*pki.write("secret", leaf), routes={
        "*": Route(headers={"X-Debug-Token": token, "Set-Cookie": f"session={token}"}),
        "/health": Route(500, headers={"X-Debug-Token": token},
                         body=f"upstream said Authorization: Bearer {token}".encode()),
    })
    yield server, pki.ca_bundle, planted
    server.stop()


VERBOSITIES = {"quiet": ["-q"], "default": [],
               "loud": ["-vv", "--showlocals", "-l", "--tb=long", "-rA"]}


@pytest.mark.parametrize("verbosity", list(VERBOSITIES))
def test_secrets_from_a_certificate_and_responses_stay_hidden(
        pytester: pytest.Pytester, secret_server, verbosity: str) -> None:
    server, ca_bundle, planted = secret_server
    pytester.makefile(".yaml", readiness=(
        "system: tlsleak\nendpoints:\n"
        f"  - {{name: web, url: '{server.url()}', health: /health, timeout: 5, "
        f"tls: {{ca_bundle: '{ca_bundle}'}}, latency: {{samples: 2, concurrency: 1}}}}\n"))
    outputs = {"json": "out.json", "markdown": "out.md", "html": "out.html",
               "sarif": "out.sarif", "junit": "junit.xml"}
    result = pytester.runpytest_subprocess(
        *VERBOSITIES[verbosity], "--readiness", "-p", "no:cacheprovider",
        "--readiness-suite", "tls,http,health",
        "--readiness-json", "out.json", "--readiness-report", "out.md",
        "--readiness-html", "out.html", "--readiness-sarif", "out.sarif",
        "--junitxml", "junit.xml", timeout=120)
    texts = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    texts.update({name: Path(pytester.path, path).read_text(encoding="utf-8")
                  for name, path in outputs.items()})
    record = json.loads(texts["json"])
    checks = {(c["id"], c["target"]): c for c in record["checks"]}
    # The audit did read the certificate and the responses ...
    expiry = checks[("tls.cert-expiry", "web")]
    assert expiry["outcome"] == "pass", expiry
    assert "OU=ops sk-l" in expiry["evidence"]["subject"], expiry["evidence"]
    assert checks[("health.endpoint", "web")]["outcome"] == "fail"
    # ... and nothing it read is shown whole, nor a long piece of it.
    for where, text in texts.items():
        for name, value in planted.items():
            assert value not in text, f"{name} leaked into {where} at {verbosity}"
            assert value[8:24] not in text, f"part of {name} leaked into {where} at {verbosity}"
