"""readiness.yaml: valid files load; every kind of bad file gets one clear message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import ConfigError, interpolate, parse_config, parse_mode
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.targets import Context

FULL = """
system: Example platform
hosts:
  - {name: vps, connection: "ssh://root@127.0.0.1:2222", roles: [central], optional: false}
  - {name: lab, connection: "local://", optional: true}
endpoints: [{name: api, url: "https://api.example.com", health: /health}]
dns: [{name: api.example.com, expect: [203.0.113.7], from: [vps], endpoint: api}]
ntp: {servers: ["127.0.0.1:12300"], warn_ms: 100, fail_ms: 1000}
files: [{path: /opt/app/signing.key, hosts: [vps], mode: 0600, owner: root}]
services: [{unit: app.service, hosts: [vps], after: [network-online.target]}]
databases: [{name: main, dsn: "${DATABASE_URL:-postgresql://app@127.0.0.1/app}"},
            {name: devices, sqlite: /var/lib/app/devices.db}]
codebases: [{path: backend, async: true}]
protos: [[proto/api.proto, agent/proto/api.proto]]
compose: [docker-compose.yml]
dockerfiles: [Dockerfile]
scoring: {weights: {security: 30, privacy: 10}, thresholds: {ready: 85, conditional: 60}}
waivers: [{check: tls.cert-expiry, target: api, reason: "renewal booked", expires: 2026-03-17}]
overrides: [{check: "secrets.*", severity: high, category: privacy}]
"""


def test_full_example_loads() -> None:
    cfg = parse_config(FULL, "readiness.yaml", environ={})
    assert cfg.system.name == "Example platform" and cfg.system.kind is None
    assert [h.name for h in cfg.hosts] == ["vps", "lab"]
    assert cfg.files[0].mode == 0o600
    assert cfg.databases[0].dsn == "postgresql://app@127.0.0.1/app"
    assert cfg.codebases[0].async_ is True
    assert cfg.dns[0].from_ == ["vps"]
    assert cfg.waivers[0].expires == dt.date(2026, 3, 17)
    assert cfg.categories["privacy"] == 10 and cfg.categories["security"] == 30
    assert cfg.scoring.thresholds.ready == 85


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("hosts: [\n  - {name: a", "readiness.yaml: line", id="invalid-yaml"),
    pytest.param("sytem: typo", "readiness.yaml: sytem: unknown key", id="unknown-key"),
    pytest.param("hosts: [{name: a, colour: red}]", "hosts[0].colour: unknown key",
                 id="unknown-nested-key"),
    pytest.param("hosts: {name: a}", "hosts: Input should be a valid list", id="wrong-type"),
    pytest.param("ntp: {warn_ms: fast}", "ntp.warn_ms: Input should be a valid number",
                 id="wrong-scalar-type"),
    pytest.param("files: [{path: /etc/x, mode: rwx}]", "files[0].mode: expected an octal file mode",
                 id="bad-mode"),
    pytest.param("files: [{path: /etc/x, mode: \"0988\"}]", "files[0].mode: expected an octal",
                 id="bad-mode-digits"),
    pytest.param("overrides: [{check: x, category: vibes}]",
                 "overrides[0].category: unknown category 'vibes'", id="unknown-category"),
    pytest.param("overrides: [{check: x, severity: urgent}]",
                 "overrides[0].severity: Input should be 'critical'", id="unknown-severity"),
    pytest.param("files: [{path: /x, hosts: [ghost]}]",
                 "files[0].hosts: host 'ghost' is not defined under 'hosts'", id="undefined-host"),
    pytest.param("dns: [{name: a.example, from: [ghost]}]", "dns[0].from: host 'ghost'",
                 id="undefined-host-dns"),
    pytest.param("hosts: [{name: a}, {name: a}]", "hosts[1].name: duplicate name 'a'",
                 id="duplicate-names"),
    pytest.param("endpoints: [{name: e, url: 'https://x'}, {name: e, url: 'https://y'}]",
                 "endpoints[1].name: duplicate name 'e'", id="duplicate-endpoints"),
    pytest.param("system: ${READINESS_TEST_UNSET}",
                 "system: environment variable READINESS_TEST_UNSET is not set", id="missing-env"),
    pytest.param("hosts: [{name: a, timeout: -5}]",
                 "hosts[0].timeout: timeout must be a positive number", id="negative-timeout"),
    pytest.param("timeout: 0", "timeout: timeout must be a positive number", id="zero-timeout"),
    pytest.param("", "readiness.yaml: the file is empty", id="empty-file"),
    pytest.param("# only a comment\n", "readiness.yaml: the file is empty", id="comment-only"),
    pytest.param("- a\n- b\n", "expected a mapping at the top level", id="top-level-list"),
    pytest.param("waivers: [{check: x}]", "waivers[0].reason: required key is missing",
                 id="waiver-without-reason"),
    pytest.param("waivers: [{check: x, reason: y, expires: soon}]", "waivers[0].expires",
                 id="bad-date"),
    pytest.param("endpoints: [{name: e, url: 'ftp://x'}]", "endpoints[0].url: expected an http",
                 id="bad-url"),
    pytest.param("databases: [{name: d}]",
                 "databases[0]: expected exactly one of 'dsn' or 'sqlite'", id="database-kind"),
    pytest.param("scoring: {thresholds: {ready: 50, conditional: 80}}",
                 "expected conditional <= ready", id="thresholds-order"),
    pytest.param("ntp: {warn_ms: 500, fail_ms: 100}", "ntp: expected 0 <= warn_ms <= fail_ms",
                 id="ntp-order"),
])
def test_bad_config_gets_one_clear_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, "readiness.yaml", environ={})
    message = str(excinfo.value)
    assert expected in message
    assert message.startswith("readiness.yaml")
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(("text", "mode"), [
    ("0600", 0o600), ("600", 0o600), ("0o640", 0o640), ("0755", 0o755), ("4755", 0o4755)])
def test_modes(text: str, mode: int) -> None:
    assert parse_mode(text) == mode
    assert parse_config(f"files: [{{path: /x, mode: {text}}}]", environ={}).files[0].mode == mode


def test_interpolation_forms() -> None:
    env = {"USER_NAME": "app", "EMPTY": ""}
    assert interpolate("${USER_NAME}@h", env) == "app@h"
    assert interpolate("${MISSING:-dflt}", env) == "dflt"
    assert interpolate("${EMPTY:-dflt}", env) == "dflt"
    assert interpolate("$${USER_NAME}", env) == "${USER_NAME}"
    cfg = parse_config("hosts: [{name: a, connection: 'ssh://${USER_NAME}@h'}]", environ=env)
    assert cfg.hosts[0].connection == "ssh://app@h"


names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_characters="${}", blacklist_categories=("Cs",)),
                 max_size=30)


@given(names.filter(lambda n: not is_secret_name(n, anywhere=True)), values, values)
def test_interpolation_properties(name: str, value: str, default: str) -> None:
    ref, with_default = "${" + name + "}", "${" + name + ":-" + default + "}"
    assert interpolate(f"x{ref}y", {name: value}) == f"x{value}y"
    expected = value if value else default
    assert interpolate(with_default, {name: value}) == expected
    assert interpolate(with_default, {}) == default
    with pytest.raises(ValueError):
        interpolate(ref, {})


secret_names = st.builds(lambda head, word: head + word, names,
                         st.sampled_from(["_TOKEN", "_PASSWORD", "_SECRET", "_API_KEY"]))
plain = st.text(alphabet="abcXYZ019", min_size=1, max_size=20)


@given(secret_names, plain, plain)
def test_a_credential_variable_is_only_a_url_password(name: str, value: str, word: str) -> None:
    """A credential-named variable stands for a URL's password (masked in every output),
    never for a name, a path or a query (copied into reports and node ids)."""
    ref = "${" + name + "}"
    env = {name: value}
    assert interpolate(f"postgresql://app:{ref}@db/app", env) == f"postgresql://app:{value}@db/app"
    assert interpolate(f"ssh://{word}:x{ref}@h:22", env) == f"ssh://{word}:x{value}@h:22"
    for text in (ref, f"{word}{ref}", f"https://h/?t={ref}", f"https://{ref}@h/",
                 f"postgresql://app:pw@db/{ref}"):
        with pytest.raises(ValueError, match="names a credential"):
            interpolate(text, env, "system")
    assert interpolate(f"{word}${{{name}:-}}", {}) == word  # not set: nothing of it copied


def test_a_refused_value_never_shows_the_password_interpolated_into_it() -> None:
    """A URL's password may come from the environment; a message quoting the URL (the
    validator refuses its scheme) shows it masked, as every output does."""
    with pytest.raises(ConfigError) as info:
        parse_config("system: s\nendpoints: [{name: e, url: 'ftp://u:${DB_PASSWORD}@h/'}]\n",
                     "readiness.yaml", environ={"DB_PASSWORD": "Sup3rSecretValue99"})
    assert "endpoints[0].url: expected an http:// or https:// URL" in str(info.value)
    assert "Sup3rSecretValue99" not in str(info.value) and "ftp://u:" in str(info.value)


def test_a_credential_variable_in_a_name_is_refused_naming_the_key() -> None:
    text = "system: shop\nendpoints: [{name: 'ci${CI_TOKEN}', url: 'https://h/'}]\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, "readiness.yaml", environ={"CI_TOKEN": "Ci1-value-never-shown"})
    assert "endpoints[0].name: ${CI_TOKEN} names a credential" in str(info.value)
    assert "Ci1-value-never-shown" not in str(info.value)


@given(st.text(max_size=200))
def test_any_text_gives_a_model_or_a_config_error(text: str) -> None:
    try:
        parse_config(text, "fuzz.yaml", environ={})
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml")


def test_a_context_derives_each_key_once_and_keeps_no_failure(tmp_path: Path) -> None:
    """Context.derive: what several checks read of one target is made once per audit (a
    name's getent answer on a host, suites/network/test_dns.py); a failure is not kept."""
    ctx = Context(parse_config("system: s\n", environ={}), tmp_path)
    made: list[str] = []
    assert ctx.derive("k", lambda: made.append("k") or 1) == 1
    assert ctx.derive("k", lambda: made.append("again") or 2) == 1
    assert made == ["k"]

    def broken() -> int:
        made.append("broken")
        raise OSError("unreachable")

    for _ in range(2):
        with pytest.raises(OSError):
            ctx.derive("x", broken)
    assert made == ["k", "broken", "broken"]
