"""The Compose project model: one small tree per root cause (issue 13, items 2-3).

Overlays, ``-f`` variants, extends, include, profiles, ``.env`` forms, comments-only
files, schema errors, image users and the must-find rules, on files written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.plumbing.yamlpos import load
from pytest_readiness.probes.deployment import compose, images
from pytest_readiness.probes.deployment import dockerfile as dockerfile_probe
from pytest_readiness.probes.deployment.compose_spec import variants
from pytest_readiness.probes.deployment.compose_spec.interpolation import (
    escape,
    interpolate,
    parse_env,
)
from pytest_readiness.probes.deployment.compose_spec.merge import merge_mappings, plain, sourced
from tests.deploy.conftest import planted_password, write_tree

HARDENING = """restart: unless-stopped
    read_only: true
    user: "10001"
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    mem_limit: 256m
    cpus: 0.5
    healthcheck: {test: ["CMD", "true"]}"""


def project(root: Path, files: dict[str, str], *names: str) -> compose.ComposeProject:
    write_tree(root, files)
    return compose.load(root, list(names) or [next(iter(files))])


def found(cp: compose.ComposeProject, rule: str) -> list[tuple[str, int | None, str]]:
    return [(f.file or "", f.line, str(f.level)) for f in compose.RULES[rule](cp)]


# --- overlays and variants ---------------------------------------------------------------

def test_overlay_settings_merge_and_findings_name_the_file_they_come_from(
        tmp_path: Path) -> None:
    cp = project(tmp_path, {
        "compose.yml": """
            services:
              api:
                image: app:1.2
                restart: "no"
              db: {image: "postgres:16"}
            """,
        "compose.deploy.yml": """
            services:
              api:
                restart: always
                deploy: {resources: {limits: {memory: 1G, cpus: "1"}}}
              db:
                restart: "no"
            """,
    }, "compose.yml", "compose.deploy.yml")
    assert found(cp, "restart-policy") == [("compose.deploy.yml", 6, "error")]  # the overlay
    assert found(cp, "resource-limits") == [("compose.yml", 5, "error")]  # db, as declared
    assert [s.name for s in cp.services] == ["api", "db"]


def test_merge_rules_of_the_specification() -> None:
    base = sourced(load("""
services:
  web:
    command: [a, b]
    environment: [A=1, B=2]
    ports: ["8080:80"]
    volumes: ["data:/data", "./x:/x"]
    depends_on: [db]
    dns: [1.1.1.1]
""", "a.yml"), "a.yml")
    overlay = sourced(load("""
services:
  web:
    command: [c]
    environment: {B: "3", C: "4"}
    ports: !override ["8443:443"]
    volumes: ["other:/data"]
    depends_on: {cache: {condition: service_healthy}}
    dns: [8.8.8.8]
    labels: !reset null
""", "b.yml"), "b.yml")
    web = plain(merge_mappings(base, overlay))["services"]["web"]
    assert web["command"] == ["c"]
    assert web["environment"] == {"A": "1", "B": "3", "C": "4"}
    assert web["ports"] == ["8443:443"]
    assert web["volumes"] == ["other:/data", "./x:/x"]  # unique by target: replaced in place
    assert set(web["depends_on"]) == {"db", "cache"}
    assert web["dns"] == ["1.1.1.1", "8.8.8.8"]
    assert "labels" not in web


mappings = st.recursive(st.integers(0, 3) | st.text("ab", max_size=2),
                        lambda inner: st.dictionaries(st.sampled_from(["m", "n"]), inner,
                                                      max_size=2), max_leaves=6)
shaped = st.dictionaries(st.sampled_from(["x", "y", "z"]),
                         st.dictionaries(st.sampled_from(["p", "q"]), st.integers(0, 9),
                                         max_size=2), max_size=3)


@given(shaped, shaped, shaped)
def test_merging_mappings_is_associative(a: dict, b: dict, c: dict) -> None:
    def node(tree: dict, name: str):
        import yaml

        return sourced(load(yaml.safe_dump(tree), name), name)
    left = merge_mappings(merge_mappings(node(a, "a"), node(b, "b")), node(c, "c"))
    right = merge_mappings(node(a, "a"), merge_mappings(node(b, "b"), node(c, "c")))
    assert plain(left) == plain(right)


def test_extends_and_include(tmp_path: Path) -> None:
    cp = project(tmp_path, {
        "compose.yaml": """
            include: [infra/compose.yaml]
            services:
              base: {image: "app:1", restart: always, mem_limit: 128m}
              api:
                extends: base
                user: "0"
                ports: ["8080:80"]
              worker:
                extends: {file: common.yaml, service: job}
            """,
        "common.yaml": """
            services:
              job: {image: "job:2", restart: unless-stopped}
            """,
        "infra/compose.yaml": """
            services:
              cache: {image: "redis:7", restart: always}
            """,
    })
    names = {s.name: s for s in cp.services}
    assert set(names) == {"base", "api", "worker", "cache"}
    assert names["api"].spec["restart"] == "always" and names["api"].spec["mem_limit"] == "128m"
    assert names["worker"].spec["image"] == "job:2"
    assert names["cache"].file == "infra/compose.yaml"
    assert ("compose.yaml", 6, "error") in found(cp, "non-root")  # user: "0", published


def test_profiles_make_a_service_optional(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.yaml": """
        services:
          debug: {image: "busybox:1.36", profiles: [debug]}
        """})
    assert found(cp, "restart-policy") == [("compose.yaml", 2, "warning")]
    write_tree(tmp_path, {".env": "COMPOSE_PROFILES=debug\n"})
    cp = compose.load(tmp_path, ["compose.yaml"])
    assert found(cp, "restart-policy") == [("compose.yaml", 2, "error")]


def test_variants_from_makefile_workflow_and_default_files() -> None:
    texts = {
        "Makefile": "CMD ?= docker compose\nFILES=-f compose.yaml -f compose.prod.yaml\n"
                    "up:\n\t$(CMD) --env-file .env $(FILES) up -d\n"
                    "test:\n\t$(CMD) $(FILES) -f compose.tests.yaml run tests\n",
        ".github/workflows/ci.yml": "run: docker compose -f compose.yaml up\n",
    }
    files = ["compose.yaml", "compose.override.yaml", "compose.prod.yaml", "compose.tests.yaml"]
    found_variants = variants.infer(files, texts, lambda rel: "test: named" if "tests" in rel
                                    else None, lambda rel: None)
    by_name = {v.name: v for v in found_variants}
    assert set(by_name) == {"compose.yaml+compose.override.yaml",
                            "compose.yaml+compose.prod.yaml",
                            "compose.yaml+compose.prod.yaml+compose.tests.yaml"}
    assert by_name["compose.yaml+compose.prod.yaml"].env_files == (".env",)
    assert by_name["compose.yaml+compose.prod.yaml+compose.tests.yaml"].role.startswith("test")
    # a production set is never hidden behind a larger test set
    assert by_name["compose.yaml+compose.prod.yaml"].role is None


def test_add_on_files_are_what_a_larger_set_adds_to_one_the_tree_also_runs() -> None:
    texts = {"Makefile": "FILES=-f compose.yaml -f compose.full.yaml\n"
                         "start:\n\tdocker compose $(FILES) up -d\n"
                         "start-agentic:\n\tdocker compose $(FILES) -f compose.agent.yaml up\n"
                         "down:\n\tdocker compose -f compose.yaml -f compose.agent.yaml "
                         "-f compose.full.yaml down\n"
                         "deploy:\n\tdocker compose -f compose.yaml -f compose.prod.yaml up\n"
                         "minimal:\n\tdocker compose -f compose.yaml up\n"}
    files = ["compose.yaml", "compose.full.yaml", "compose.agent.yaml", "compose.prod.yaml"]
    by_name = {v.name: v for v in variants.infer(files, texts, lambda rel: None,
                                                 lambda rel: None)}
    # one agentic set (the same files in another order are the same set)
    [agentic] = [v for v in by_name.values() if "compose.agent.yaml" in v.files]
    assert set(by_name) == {agentic.name, "compose.yaml+compose.prod.yaml"}
    # the largest set the tree also runs alone (make start), not the minimal one
    assert agentic.addons == ("compose.agent.yaml",)
    # a file named for the deployment is what production runs, never an add-on
    assert by_name["compose.yaml+compose.prod.yaml"].addons == ()
    # the default files alone (nothing runs them by name) make nothing optional: a base
    # of databases with the application in an -f file is the application's deployment
    texts = {"Makefile": "up:\n\tdocker compose -f compose.yaml -f compose.app.yaml up\n"}
    [app] = variants.infer(["compose.yaml", "compose.app.yaml"], texts, lambda rel: None,
                           lambda rel: None)
    assert app.also == ("compose.yaml",) and app.addons == ()


def test_services_only_an_add_on_defines_are_optional(tmp_path: Path) -> None:
    files = {"compose.yaml": """
        services:
          api: {image: "api:1", restart: unless-stopped}
        """, "compose.agent.yaml": """
        services:
          agent: {image: "agent:1"}
          api: {environment: {AGENT: "1"}}
        """}
    cp = project(tmp_path, files, "compose.yaml", "compose.agent.yaml")
    assert found(cp, "restart-policy") == [("compose.agent.yaml", 2, "error")]
    cp = compose.load(tmp_path, ["compose.yaml", "compose.agent.yaml"],
                      addons=("compose.agent.yaml",))
    [agent] = compose.restart_policy(cp)
    assert (agent.file, agent.line, agent.level) == ("compose.agent.yaml", 2, "warning")
    assert "only in add-on compose.agent.yaml" in agent.message
    # api is the base set's, whatever the add-on adds to it: still judged in full
    assert [f.level for f in compose.healthcheck(cp)] == ["error", "warning"]
    assert compose.summary(cp)["optional"] == {"agent": agent.message.split("(")[-1][:-1]}


# --- interpolation -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "env", "expected", "unresolved"), [
    ("${A}", {"A": "1"}, "1", []),
    ("$A-x", {"A": "1"}, "1-x", []),
    ("${A:-d}", {"A": ""}, "d", []),
    ("${A-d}", {"A": ""}, "", []),
    ("${A-d}", {}, "d", []),
    ("${A:+r}", {"A": "1"}, "r", []),
    ("${A+r}", {"A": ""}, "r", []),
    ("${A:+r}", {"A": ""}, "", []),
    ("${A:-${B}}", {"B": "2"}, "2", []),
    ("$${A}", {"A": "1"}, "${A}", []),
    ("${A}", {}, "${A}", ["A"]),
])
def test_interpolation_forms(text: str, env: dict[str, str], expected: str,
                             unresolved: list[str]) -> None:
    result = interpolate(text, env)
    assert (result.text, result.unresolved) == (expected, unresolved)


def test_required_variable_is_a_note_of_compose_valid(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.yaml": """
        services:
          api: {image: "app:${TAG:?set TAG}"}
        """})
    assert [(f.line, str(f.level)) for f in compose.validity(cp)] == [(2, "note")]
    assert not cp.model.invalid


@given(st.text(max_size=40))
def test_escaped_dollars_come_back_as_written(text: str) -> None:
    result = interpolate(escape(text), {"A": "x"})
    assert result.text == text and result.known


def test_env_file_parsed_by_dotenv_with_quotes_and_references() -> None:
    env = parse_env("A=1\nB=${A}2\nC='${A}'\nexport D=\"x y\"  # comment\n")
    assert env == {"A": "1", "B": "12", "C": "${A}", "D": "x y"}


# --- files that load, and files that do not ---------------------------------------------

def test_comments_only_file_is_an_empty_valid_project(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.extras.yaml": "# nothing here yet\n# services:\n"})
    assert cp.services == [] and not cp.model.problems


def test_schema_errors_name_file_key_and_line_without_values(tmp_path: Path) -> None:
    secret = planted_password()
    cp = project(tmp_path, {"compose.yaml": f"""
        services:
          api:
            image: app:1
            restart: 3
            bogus: {secret}
        """})
    problems = [(p.file, p.line, p.message) for p in cp.model.invalid]
    assert ("compose.yaml", 4, "services.api.restart must be string") in problems
    assert any("unknown key(s): bogus" in m for _, _, m in problems)
    assert all(secret not in m for _, _, m in problems)


# --- images as they run ------------------------------------------------------------------

@pytest.mark.parametrize(("image", "kind"), [
    ("gcr.io/distroless/static-debian12:nonroot@sha256:00", images.NON_ROOT),
    ("gcr.io/distroless/static-debian12", images.ROOT),
    ("cgr.dev/chainguard/python:latest", images.NON_ROOT),
    ("docker.io/grafana/k6:2.2.0", images.NON_ROOT),
    ("postgres:16", images.DROPS_ROOT),
    ("ghcr.io/valkey-io/valkey:9", images.DROPS_ROOT),
    ("docker.io/library/python:3.14", images.ROOT),
    ("example.com/team/tool:1", images.UNKNOWN),
    ("${IMAGE}", images.UNKNOWN),
])
def test_image_user_table(image: str, kind: str) -> None:
    assert images.user_of(image).kind == kind


def test_final_stage_inherits_the_base_image_user() -> None:
    def level(text: str) -> list[str]:
        return [str(f.level) for f in dockerfile_probe.non_root_user(
            dockerfile_probe.parse(text, "Dockerfile"))]
    assert level("FROM golang:1.22 AS build\nFROM gcr.io/distroless/static:nonroot\n") == []
    assert level("FROM python:3.12-slim\n") == ["error"]
    assert level("FROM example.com/base:1\n") == ["warning"]
    assert level("FROM postgres:16\n") == ["note"]
    assert level("FROM postgres:16\nENTRYPOINT [\"sh\"]\n") == ["warning"]
    assert level("FROM gcr.io/distroless/static:nonroot AS base\nFROM base\n") == []


def test_compose_user_and_image_table(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.yaml": """
        services:
          k6: {image: "grafana/k6:0.50"}
          db: {image: "postgres:16"}
          proxy: {image: "traefik:3.0", ports: ["80:80"]}
          tool: {image: "example.com/tool:1"}
          root: {image: "grafana/k6:0.50", user: "0:0"}
        """})
    # root reachable from outside: error; internal root: the hardening rule ``internal``;
    # an unknown image: warning
    assert found(cp, "non-root") == [("compose.yaml", 4, "error"), ("compose.yaml", 5, "warning"),
                                     ("compose.yaml", 6, "error")]
    assert [f.rule for f in compose.non_root(cp)] == ["", "", "internal"]


# --- must-finds --------------------------------------------------------------------------

def test_host_access(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": "SOCK=/var/run/docker.sock\nHOSTFS=/\n"})
    cp = project(tmp_path, {"compose.yaml": """
        services:
          proxy:
            image: traefik:3.0
            volumes:
              - ${SOCK}:/var/run/docker.sock:ro
              - ${HOSTFS}:/hostfs:ro
              - /proc:/host/proc
              - ./conf:/etc/conf
          agent: {image: "a:1", privileged: true, pid: host, network_mode: host,
                  cap_add: [SYS_ADMIN, NET_BIND_SERVICE]}
        """})
    assert [line for _, line, _ in found(cp, "host-access")] == [5, 6, 7, 9, 9, 9, 10]


def test_exposed_datastores_from_env_and_weak_passwords(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": "VALKEY_IMAGE=valkey/valkey:8\nVALKEY_PORT=6379\n"
                                  "PG_PASSWORD=changeit\n"})
    cp = project(tmp_path, {"compose.yaml": """
        services:
          cache: {image: "${VALKEY_IMAGE}", ports: ["${VALKEY_PORT}"]}
          db:
            image: postgres:16
            environment: {POSTGRES_PASSWORD: "${PG_PASSWORD}"}
            ports: ["5432:5432"]
          safe:
            image: postgres:16
            environment: {POSTGRES_PASSWORD: "${STRONG}"}
            ports: ["127.0.0.1:5433:5432"]
        """})
    assert found(cp, "exposed-datastores") == [("compose.yaml", 2, "error"),
                                               ("compose.yaml", 6, "error")]


def test_admin_uis_by_port_or_public_route(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.yaml": """
        services:
          adminer:
            image: adminer:4
            labels:
              - traefik.enable=true
              - traefik.http.routers.adminer.rule=Host(`adminer.example.com`)
          pma: {image: "phpmyadmin:5", ports: ["8081:80"]}
          lb: {image: "traefik:3.0", command: ["--api.insecure=true"], ports: ["8080:8080"]}
          internal: {image: "adminer:4", ports: ["127.0.0.1:8082:8080"]}
        """})
    rules = {f.rule for f in compose.exposed_datastores(cp)}
    assert rules == {"admin-ui"}
    assert [line for _, line, _ in found(cp, "exposed-datastores")] == [6, 7, 8]


def test_literal_secrets_read_env_files_not_env_interpolation(tmp_path: Path) -> None:
    secret = planted_password()
    write_tree(tmp_path, {".env": f"DB_PASSWORD={secret}\n",
                          "env/app.env": f"LOG_LEVEL=info\nAPI_TOKEN={secret}\nEMPTY_SECRET=\n"})
    cp = project(tmp_path, {"compose.yaml": """
        services:
          api:
            image: app:1
            env_file: env/app.env
            environment: {DB_PASSWORD: "${DB_PASSWORD}"}
        """})
    findings = compose.literal_secrets(cp)
    assert [(f.file, f.line) for f in findings] == [("env/app.env", 2)]
    assert secret not in findings[0].message


def test_missing_short_syntax_directories_are_created_by_docker(tmp_path: Path) -> None:
    cp = project(tmp_path, {"compose.yaml": """
        services:
          api:
            image: app:1
            volumes:
              - ./data:/var/lib/app
              - ./conf/app.yml:/etc/app.yml
              - {type: bind, source: ./made, target: /m, bind: {create_host_path: true}}
        """})
    assert [line for _, line, _ in found(cp, "bind-mounts")] == [6]
