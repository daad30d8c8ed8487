"""Fuzzing readiness.yaml: every document ends in a config or one clear ConfigError.

Documents are generated from the real key names (so the fuzzer reaches deep into
the model rather than failing at the first unknown key) with values of every
YAML type, plus raw byte soup. Other parsers are fuzzed in their own areas'
tests; this one guards the entry point every run goes through.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_readiness.config import ConfigError, ReadinessConfig, parse_config

SECTIONS = ["system", "hosts", "files", "services", "endpoints", "dns", "databases",
            "grpc", "codebases", "waivers", "overrides", "scoring", "categories", "checks",
            "ntp", "tls", "fleet", "tools", "unknown_key"]
KEYS = ["name", "connection", "path", "url", "mode", "owner", "timeout", "roles", "hosts",
        "dsn", "sqlite", "expect", "severity", "category", "reason", "expires", "check",
        "target", "weights", "thresholds", "ready", "conditional", "optional", "unit",
        "address", "addresses", "service", "health_path", "pool_size", "${X}", "0600"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["0600", "0o644", "999", "-1", "local://",
                                           "ssh://root@127.0.0.1:1", "${MISSING}",
                                           "${X:-d}", "critical", "vibes", "2020-01-01"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=20)
documents = st.dictionaries(st.sampled_from(SECTIONS), values, max_size=6)


def _load(text: str) -> None:
    try:
        config = parse_config(text, "fuzz.yaml", environ={"X": "1"})
    except ConfigError as error:
        message = str(error)
        assert message.startswith("fuzz.yaml"), message
        assert "\n" not in message.strip() and "Traceback" not in message
    else:
        assert isinstance(config, ReadinessConfig)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_structured_documents(document: dict) -> None:
    _load(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    _load(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    _load(data.decode("utf-8", errors="replace"))
