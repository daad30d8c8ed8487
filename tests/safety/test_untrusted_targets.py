"""Untrusted data from a real target: a hostile HTTPS server, end to end.

``test_untrusted_data.py`` drives the renderers with a synthetic check; here the
hostile values come over the wire from a server on 127.0.0.1, through the real
tls and http_headers suites: a certificate whose subject O and OU hold Markdown
table syntax, backticks, HTML and an ANSI escape, and headers whose values do
the same, one of them 5,000 characters long. The Markdown tables keep their
columns, the HTML gains no element, and no report holds the long value whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.safety.test_untrusted_data import _tables, _Tags
from tests.servers.http import Route
from tests.servers.tls import Issued, Pki, https_server, issue

# Header values cannot hold a newline (http.server would split them); the rest goes.
HOSTILE = "x | y | z `tick` <script>alert(1)</script><img src=x onerror=alert(2)> \x1b[31mRED"
LONG = "L" * 5_000


def _hostile_leaf(pki: Pki) -> Issued:
    plain = issue("localhost", pki.intermediate, sans=("localhost",))
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, HOSTILE),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "|\n| injected | row |\n"),
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


@pytest.fixture
def hostile_target_run(pytester: pytest.Pytester, tmp_path: Path) -> pytest.Pytester:
    pki = Pki.create(tmp_path / "pki")
    server = https_server(*pki.write("hostile", _hostile_leaf(pki)), routes={
        "*": Route(headers={"X-Content-Type-Options": HOSTILE, "Referrer-Policy": LONG,
                            "X-Frame-Options": HOSTILE + LONG}),
    })
    try:
        pytester.makefile(".yaml", readiness=(
            "system: hostile\nendpoints:\n"
            f"  - {{name: web, url: '{server.url()}', timeout: 5, "
            f"tls: {{ca_bundle: '{pki.ca_bundle}'}}}}\n"))
        pytester.runpytest_subprocess(
            "--readiness", "--readiness-suite", "tls,http", "-p", "no:cacheprovider",
            "--readiness-json", "out.json", "--readiness-report", "out.md",
            "--readiness-html", "out.html", "--readiness-sarif", "out.sarif", timeout=120)
    finally:
        server.stop()
    return pytester


def test_hostile_certificate_and_headers_are_escaped(hostile_target_run: pytest.Pytester
                                                     ) -> None:
    path = hostile_target_run.path
    record = json.loads((path / "out.json").read_text(encoding="utf-8"))
    checks = {(c["id"], c["target"]): c for c in record["checks"]}
    # The hostile values did arrive (so "escaped" is tested, not "never read").
    subject = checks[("tls.cert-expiry", "web")]["evidence"]["subject"]
    assert "script" in subject and "\x1b" in subject and "| injected |" in subject, subject
    nosniff = checks[("http.nosniff", "web")]
    assert nosniff["outcome"] == "fail" and "<script>" in nosniff["message"], nosniff

    markdown = (path / "out.md").read_text(encoding="utf-8")
    assert "http.nosniff" in markdown
    for table in _tables(markdown):
        assert len(set(table)) == 1, f"a Markdown table lost its shape: {table}"
    assert "<script>" not in markdown and "\x1b" not in markdown

    html = (path / "out.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)  # raises on an injected <img> or on* handler
    assert parser.tags.count("script") <= 1  # the report's own, nothing else
    assert "&lt;script&gt;" in html and "\x1b" not in html

    for name in ("out.md", "out.html", "out.json", "out.sarif"):
        assert LONG not in (path / name).read_text(encoding="utf-8"), f"{name} holds it whole"
