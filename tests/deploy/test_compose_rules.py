"""Compose rules on small generated files: positives, negatives and near misses, with lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing.yamlpos import LineDict, ParseError, load
from pytest_readiness.probes.deployment import compose
from pytest_readiness.probes.deployment.compose_spec.interpolation import interpolate
from tests.deploy.conftest import planted_password, write_tree

HARDENED = """
    x-hardening: &hardening
      restart: unless-stopped
      read_only: true
      user: "10001"
      cap_drop: [ALL]
      security_opt: ["no-new-privileges:true"]
      deploy: {resources: {limits: {memory: 256M, cpus: "0.5"}}}
    services:
      api:
        <<: *hardening
        image: shop/api:1.4.2@DIGEST_A
        environment:
          DB_PASSWORD: ${DB_PASSWORD}
          LOG_LEVEL: info
        depends_on:
          db: {condition: service_healthy}
        healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:8000/health"]}
        volumes: ["./config:/etc/app:ro"]
      db:
        <<: *hardening
        image: postgres:16.3@DIGEST_B
        ports: ["127.0.0.1:5432:5432"]
        environment: ["POSTGRES_PASSWORD=${DB_PASSWORD}"]
        healthcheck: {test: ["CMD", "pg_isready"]}
    """.replace("DIGEST_A", "sha256:" + "a" * 64).replace("DIGEST_B", "sha256:" + "b" * 64)


def parsed(tmp_path: Path, text: str, extra: dict[str, str] | None = None
           ) -> compose.ComposeProject:
    write_tree(tmp_path, {"docker-compose.yml": text, **(extra or {})})
    return compose.load_file(tmp_path / "docker-compose.yml", "docker-compose.yml")


def messages(cf: compose.ComposeProject, rule: str) -> list[tuple[int | None, str, str]]:
    return [(f.line, f.level, f.message) for f in compose.RULES[rule](cf)]


def test_hardened_file_passes_every_rule(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    cf = parsed(tmp_path, HARDENED)
    assert {rule: messages(cf, rule) for rule in compose.RULES} == {r: [] for r in compose.RULES}
    assert [s.name for s in cf.services] == ["api", "db"]


def test_bare_service_breaks_each_rule_at_its_line(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          cache:
            image: redis
            ports: ["6379:6379"]
            restart: "no"
        """)
    assert messages(cf, "healthcheck") == [(2, "error", "service cache has no healthcheck")]
    assert messages(cf, "restart-policy") == [(5, "error", 'service cache has restart: no')]
    assert messages(cf, "resource-limits") == [(2, "error", "service cache has no memory limit")]
    assert messages(cf, "non-root") == []  # redis: the official entrypoint drops root
    assert messages(cf, "read-only-rootfs")[0][:2] == (2, "error")
    assert messages(cf, "capabilities")[0][:2] == (2, "error")
    assert messages(cf, "no-new-privileges")[0][:2] == (2, "error")
    assert messages(cf, "images-pinned") == [
        (3, "error", "service cache: image redis has no tag (means latest)")]
    assert messages(cf, "exposed-datastores") == [
        (4, "error", "redis service cache publishes 6379 on all interfaces without "
                     "authentication (or with a weak password)")]


def test_cap_add_needs_a_justification_comment(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          web:
            image: nginx:1.27
            cap_drop: [ALL]
            cap_add:
              - NET_BIND_SERVICE  # listens on port 80 inside the container
              # chown of the cache directory at start-up
              - CHOWN
              - SETUID
        """)
    assert messages(cf, "capabilities") == [
        (9, "warning", "service web adds SETUID without a justification comment")]


def test_capability_levels_hardening_and_host_power(tmp_path: Path) -> None:
    """Not dropping ALL is hardening (the baseline profile makes it a note); an unexplained
    capability with power over the host is an error whatever the profile."""
    cf = parsed(tmp_path, """
        services:
          agent:
            image: agent:1
            cap_add: [SYS_ADMIN, NET_RAW]
        """)
    found = compose.capabilities(cf)
    assert [(f.rule, f.line, f.level) for f in found] == [
        ("not-dropped", 2, "error"), ("cap-add", 4, "error"), ("cap-add", 4, "warning")]
    assert "power over the host" in found[1].message


def test_depends_on_forms_and_conditions(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          db: {image: "postgres:16", healthcheck: {test: ["CMD", "pg_isready"]}}
          queue: {image: "rabbitmq:3"}
          api:
            image: "api:1"
            depends_on: [db, queue]
          worker:
            image: "api:1"
            depends_on:
              db: {condition: service_started}
              ghost: {condition: service_healthy}
          migrate:
            image: "api:1"
            depends_on: {db: {condition: service_healthy}}
        """)
    # no condition: a gap (warning); a condition written out: a stated choice (note)
    assert messages(cf, "depends-on-healthy") == [
        (6, "warning", "service api waits for db with no condition, not service_healthy (it "
                       "has a healthcheck)"),
        (10, "note", "service worker waits for db with condition service_started, not "
                     "service_healthy (it has a healthcheck)"),
        (11, "error", "service worker depends on ghost, which is not defined in this project"),
    ]
    assert [f.rule for f in compose.depends_on_healthy(cf)] == ["", "stated", ""]


def test_healthcheck_and_user_come_from_the_dockerfile(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          api: {build: ./api}
          admin: {build: {context: ., dockerfile: admin.Dockerfile}, healthcheck: {disable: true}}
        """, {
        "api/Dockerfile": "FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD true\n",
        "admin.Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK CMD true\n",
    })
    assert messages(cf, "healthcheck") == [(3, "error", "service admin healthcheck is disabled")]
    assert messages(cf, "non-root") == [
        (3, "error", "service admin runs as root (no USER; base image python:3.12-slim: "
                       "python: the image's default user is root; internal: no published "
                       "port)")]


@pytest.mark.parametrize(("extra", "reached"), [
    pytest.param('ports: ["8080:80"]', "publishes 80 on all interfaces", id="ports"),
    pytest.param('ports: ["0.0.0.0:8080:80"]', "publishes 80 on all interfaces", id="any-ip"),
    pytest.param("network_mode: host", "uses the host's network", id="host-network"),
    pytest.param('labels: ["traefik.enable=true"]', "is routed by a reverse proxy",
                 id="traefik-enable"),
    pytest.param('labels: {"traefik.http.routers.web.rule": "Host(`x`)"}',
                 "is routed by a reverse proxy", id="traefik-router"),
    pytest.param('ports: ["127.0.0.1:8080:80"]', None, id="loopback-only"),
    pytest.param('labels: ["traefik.enable=false", "traefik.http.routers.web.rule=x"]', None,
                 id="traefik-disabled"),
    pytest.param('expose: ["80"]', None, id="expose-is-internal"),
])
def test_root_is_an_error_where_the_service_is_reachable(tmp_path: Path, extra: str,
                                                         reached: str | None) -> None:
    """A root container published on the internet: error; an internal one: the hardening
    rule ``internal`` (an error the baseline profile grades as a note)."""
    cf = parsed(tmp_path, f"""
        services:
          web:
            image: web:1
            user: root
            {extra}
        """)
    [found] = compose.non_root(cf)
    assert compose.exposure(cf.services[0]) == reached
    if reached:
        said = f"service web runs as root (user: root) and {reached}"
        assert (found.rule, found.level, found.message) == ("", "error", said)
    else:
        assert found.rule == "internal" and "internal" in found.message


def test_optional_services_warn_and_digests_are_their_own_rule(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          debug:
            image: busybox:1.36
            profiles: [debug]
          api:
            image: api:1@sha256:%s
        """ % ("c" * 64))
    assert [(f.line, f.level) for f in compose.healthcheck(cf)] == [(2, "warning"), (5, "error")]
    assert [(f.line, f.level) for f in compose.restart_policy(cf)] == [(2, "warning"),
                                                                       (5, "error")]
    # an optional service's findings are warnings, whichever rule
    assert [(f.rule, f.line, f.level, f.message) for f in compose.images_pinned(cf)] == [
        ("digest", 3, "warning", "service debug: image busybox:1.36 is pinned by tag, not by "
                                 "digest (profile debug: not started by default)")]


def test_literal_credentials_in_both_environment_forms(tmp_path: Path) -> None:
    secret = planted_password()
    cf = parsed(tmp_path, f"""
        services:
          grafana:
            image: grafana/grafana:11.1.0
            environment:
              - GF_SECURITY_ADMIN_PASSWORD=admin
              - GF_AUTH_ANONYMOUS_ENABLED=false
              - GF_DATABASE_PASSWORD=${{GF_DB_PASSWORD}}
          api:
            image: api:1
            environment:
              API_TOKEN: ${{API_TOKEN:-{secret}}}
              DATABASE_URL: postgres://app:{secret}@db/app
              PASSWORD_FILE: /run/secrets/pw
              SAFE_URL: postgres://app:${{DB_PASSWORD}}@db/app
        """)
    found = messages(cf, "literal-secrets")
    assert [(line, level) for line, level, _ in found] == [(5, "error"), (11, "error"),
                                                           (12, "error")]
    assert "GF_SECURITY_ADMIN_PASSWORD is a literal credential (a…(5 chars))" in found[0][2]
    assert "literal default credential" in found[1][2]
    assert "postgres://app:***@db/app" in found[2][2]
    assert all(secret not in message for _, _, message in found)


@pytest.mark.parametrize(("port", "expected"), [
    ('"127.0.0.1:5432:5432"', []),
    ('"[::1]:5432:5432"', []),
    ('"0.0.0.0:5432:5432"', ["warning"]),
    ('"5432"', ["warning"]),
    ("{target: 5432, published: 5432}", ["warning"]),
    ("{target: 5432, published: 5432, host_ip: 127.0.0.1}", []),
    ("{target: 5432}", []),
])
def test_published_postgres_with_auth_is_a_warning_unless_loopback(
        tmp_path: Path, port: str, expected: list[str]) -> None:
    cf = parsed(tmp_path, f"""
        services:
          db: {{image: "postgres:16", ports: [{port}]}}
        """)
    assert [level for _, level, _ in messages(cf, "exposed-datastores")] == expected


def test_redis_with_requirepass_is_only_a_warning(tmp_path: Path) -> None:
    cf = parsed(tmp_path, """
        services:
          cache: {image: "redis:7", command: ["redis-server", "--requirepass", "${REDIS_PW}"],
                  ports: ["6379:6379"]}
        """)
    assert [level for _, level, _ in messages(cf, "exposed-datastores")] == ["warning"]


def test_bind_mount_sources_and_image_tags(tmp_path: Path) -> None:
    (tmp_path / "present").mkdir()
    cf = parsed(tmp_path, """
        services:
          a:
            image: "app:${TAG:-latest}"
            volumes:
              - ./present:/p
              - ./absent/prometheus.yml:/etc/prometheus/prometheus.yml:ro
              - data:/var/lib/data
              - /etc/localtime:/etc/localtime:ro
              - {type: bind, source: ./gone, target: /g}
          b: {image: "app@sha256:0123456789abcdef"}
          c: {image: "app:${TAG}"}
          d: {image: "app:1.2", build: .}
        volumes: {data: {}}
        """)
    assert messages(cf, "bind-mounts") == [
        (6, "error", "service a mounts file ./absent/prometheus.yml, which does not exist"),
        (9, "error", "service a mounts path ./gone, which does not exist")]
    assert [(line, level) for line, level, _ in messages(cf, "images-pinned")] == [
        (3, "error"), (11, "warning")]


def test_env_files_and_file_secrets_must_exist(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("A=1\n")
    cf = parsed(tmp_path, """
        services:
          a:
            image: "app:1"
            env_file:
              - app.env
              - missing.env
              - {path: optional.env, required: false}
        secrets:
          db_password: {file: ./secrets/db_password.txt}
          api_key: {environment: API_KEY}
        """)
    assert messages(cf, "bind-mounts") == [
        (6, "error", "service a reads env_file missing.env, which does not exist"),
        (9, "error", "secret db_password reads ./secrets/db_password.txt, which does not exist")]


@pytest.mark.parametrize(("text", "line"), [
    ("services:\n  api:\n    image: [unclosed\n", 4),
    ("services:\n  - api\n", 1),
    ("version: '3'\nservices: {api: 3}\n", 2),
    ("just a string\n", None),
])
def test_malformed_compose_names_file_and_line(tmp_path: Path, text: str, line: int | None
                                               ) -> None:
    (tmp_path / "docker-compose.yml").write_text(text)
    with pytest.raises(ParseError) as info:
        compose.load_file(tmp_path / "docker-compose.yml", "docker-compose.yml")
    assert info.value.file == "docker-compose.yml"
    assert info.value.line == line
    assert str(info.value).startswith("docker-compose.yml")


# --- pure functions, property-based ------------------------------------------------

keys = st.text(alphabet="abcdxz_019", max_size=8).map(lambda s: "k" + s)


@given(st.dictionaries(keys, st.dictionaries(keys, st.integers(), max_size=3), max_size=6))
def test_every_key_line_points_at_the_key(tree: dict[str, dict[str, int]]) -> None:
    text = yaml.safe_dump(tree, default_flow_style=False, sort_keys=False)
    loaded = load(text, "t.yml")
    lines = text.splitlines()
    assert loaded == tree
    if not tree:
        return
    assert isinstance(loaded, LineDict)
    for key, child in loaded.items():
        assert lines[loaded.line_of(key) - 1].startswith(f"{key}:")
        for inner in child:
            assert lines[child.line_of(inner) - 1].strip().startswith(f"{inner}:")


@given(st.text(alphabet="ABCXZ_09", max_size=8).map(lambda s: "V" + s),
       st.text(alphabet=st.characters(blacklist_characters="}$", blacklist_categories=("Cs",)),
               max_size=12))
def test_interpolation_uses_the_default_and_keeps_unset_names(name: str, default: str) -> None:
    with_default = interpolate(f"x${{{name}:-{default}}}y", {})
    assert (with_default.text, with_default.unresolved) == (f"x{default}y", [])
    unknown = interpolate(f"${{{name}}}", {})
    assert (unknown.text, unknown.unresolved) == (f"${{{name}}}", [name])
    assert interpolate("$$" + name, {}).text == "$" + name


def test_merge_keys_keep_lines_of_the_anchor() -> None:
    text = textwrap.dedent("""
        x-base: &base
          restart: always
        services:
          api:
            <<: *base
            image: a:1
        """).lstrip()
    data = load(text, "c.yml")
    api = data["services"]["api"]
    assert api == {"restart": "always", "image": "a:1"}
    assert (api.line_of("restart"), api.line_of("image")) == (2, 6)
