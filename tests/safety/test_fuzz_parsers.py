"""Fuzzing the parsers of untrusted artefacts: a result or the module's own clear error.

Compose files, Dockerfiles, unit files, protos and certificates come from the
audited system, so anything may be in them. Each parser gets random and mutated
input; the only exceptions allowed are its documented error types, whose
message names the file. Protos go through protoc (a subprocess), so they get
few examples.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_readiness.plumbing import unitfile
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.probes.deployment import compose, dockerfile
from pytest_readiness.probes.deployment.contracts import proto
from pytest_readiness.probes.network import tls

COMPOSE_WORDS = ["services:", "  api:", "    image: x:latest", "    ports: ['80:80']",
                 "    environment:", "      - A=${B:-c}", "    healthcheck: {test: [CMD, true]}",
                 "  <<: *x", "x-base: &x {restart: always}", "    depends_on: {db: {condition: "
                 "service_healthy}}", "version: '3'", "\t", "- - -", "{", "]", "? a", "!!python/x"]
DOCKER_WORDS = ["FROM python:3.11 AS build", "FROM scratch", "ARG X=1",
                "RUN apt-get install -y gcc",
                "USER app", "HEALTHCHECK CMD curl -f http://localhost/", "COPY --from=build / /",
                "ENV PASSWORD=x", "ADD http://e.example/a /a", "\\", "RUN echo \\", "# comment",
                "ONBUILD RUN x", "EXPOSE 80/tcp", "", "FROM", "USER"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(COMPOSE_WORDS), st.text(max_size=30)), max_size=25))
def test_compose(lines: list[str]) -> None:
    try:
        parsed = compose.parse("\n".join(lines), "docker-compose.yml", Path("."))
    except ParseError as error:
        assert "docker-compose.yml" in str(error)
    else:
        assert all(s.name is not None for s in parsed.services)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(DOCKER_WORDS), st.text(max_size=30)), max_size=20))
def test_dockerfile(lines: list[str]) -> None:
    try:
        dockerfile.parse("\n".join(lines), "Dockerfile")
    except ParseError as error:
        assert "Dockerfile" in str(error)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["[Unit]", "[Service]", "After=a b", "Restart=",
                                           "RestartSec=5min 3s", "X\\", "=", "[", "# c"]),
                          st.text(max_size=30)), max_size=20))
def test_unit_files(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        unit = unitfile.parse_unit(text)
    except unitfile.UnitSyntaxError:
        return
    facts = unitfile.facts_from_unit("x.service", unit, "x.service")
    unitfile.restart_problems(facts)  # rules never fail on what the parser accepted
    unitfile.network_online_problems(facts)


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(['syntax = "proto3";', "package a.b;",
                                           "message M { string s = 1; }", "message {", "}",
                                           "service S { rpc R (M) returns (M); }", "import 'x';",
                                           "enum E { A = 0; }", "int32 x = 0;"]),
                          st.text(max_size=20)), max_size=6))
def test_protos(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "fuzz.proto"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        fdp = proto.compile_proto(path, "fuzz.proto", timeout=60)
    except ParseError as error:
        assert "fuzz.proto" in str(error)
    else:
        proto.shape_of(fdp)


def _certificate() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("fuzz.example")]), False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


DER = _certificate()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(DER) - 1), st.integers(0, 255)), max_size=6),
       st.booleans())
@example([(11, 1)], False)  # an invalid X.509 version: InvalidVersion, not ValueError
@example([(115, 0)], False)  # an unknown public key algorithm
def test_mutated_certificates(flips: list[tuple[int, int]], as_pem: bool) -> None:
    data = bytearray(DER)
    for index, value in flips:
        data[index] = value
    try:
        if as_pem:
            pem = (b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bytes(data))
                   + b"-----END CERTIFICATE-----\n")
            cert = x509.load_pem_x509_certificate(pem)
        else:
            cert = x509.load_der_x509_certificate(bytes(data))
    except (ValueError, x509.InvalidVersion):
        return  # the library's clear refusal: the probe reports it as a bad certificate
    try:
        facts = tls.cert_facts(cert)
    except ValueError as error:  # a field the library can only decode lazily
        assert str(error)
        return
    tls.key_is_strong(facts, 2048, 256)
    tls.signature_is_weak(facts)
    tls.hostname_matches("fuzz.example", list(facts.sans))


@pytest.mark.parametrize("junk", [b"", b"\x00" * 64, b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_junk_is_refused_by_the_library(junk: bytes) -> None:
    with pytest.raises(ValueError):
        x509.load_pem_x509_certificate(junk)
