"""Any input to the deployment parsers and rules ends in data or a ParseError, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_readiness.plumbing.yamlpos import LineDict, ParseError, load
from pytest_readiness.probes.deployment import ci, compose, dockerfile, monitoring

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000),
                    st.sampled_from(["", "latest", "ALL", "0", "root", "./x", "${A:-b}",
                                     "5432:5432", "redis:7", "service_healthy", "true"]),
                    st.text(alphabet="abc:=$/{}. -", max_size=12))
keys = st.sampled_from(["services", "image", "build", "user", "ports", "environment",
                        "depends_on", "healthcheck", "volumes", "cap_add", "cap_drop", "deploy",
                        "restart", "security_opt", "read_only", "jobs", "steps", "run", "uses",
                        "groups", "rules", "alert", "expr", "for", "labels", "route", "receivers",
                        "receiver", "routes", "name", "a", "x-y"])
trees = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _text(tree: object) -> str:
    return yaml.safe_dump({"services": tree} if not isinstance(tree, dict) else tree)


@pytest.mark.slow
@SETTINGS
@given(st.dictionaries(st.sampled_from(["api", "db", "x"]),
                       st.dictionaries(keys, trees, max_size=8), max_size=3))
def test_compose_rules_never_crash(services: dict[str, object]) -> None:
    try:
        cf = compose.parse(yaml.safe_dump({"services": services}), "c.yml", Path("/nonexistent"))
    except ParseError:
        return
    for rule in compose.RULES.values():
        for finding in rule(cf):
            assert finding.file == "c.yml"


@SETTINGS
@given(trees)
def test_ci_and_monitoring_parsers_never_crash(tree: object) -> None:
    text = _text(tree)
    data = load(text, "w.yml")
    for parse in (ci.parse_github, ci.parse_gitlab):
        try:
            pipeline = parse(data if isinstance(data, LineDict) else LineDict(), "w.yml")
        except ParseError:
            continue
        ci.test_steps([pipeline])
        [ci.cannot_fail_reason(s) for s in ci.scanner_steps([pipeline])]
        ci.action_pin_findings([pipeline])
    for rule in (monitoring.rule_findings, monitoring.alertmanager_findings):
        try:
            rule(text, "m.yml")
        except ParseError:
            pass


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(
    ["FROM a:1", "FROM ${X} AS b", "ARG X", "ARG X=y:z", "USER", "USER 0", "ENV A",
     "ENV TOKEN=", "HEALTHCHECK", "HEALTHCHECK NONE", "CMD", "CMD [", "ADD", "RUN \\",
     "EXPOSE", "EXPOSE abc", "# c", "", "ENV A=\"b c\" D='e", "COPY --from=b / /"]),
    st.text(alphabet="ABCFROMUSERa :=${}\\\"'[]", max_size=20)), max_size=12))
def test_dockerfile_rules_never_crash(lines: list[str]) -> None:
    try:
        df = dockerfile.parse("\n".join(lines) + "\n", "Dockerfile")
    except ParseError:
        return
    for rule in (dockerfile.non_root_user, dockerfile.multi_stage,
                 dockerfile.healthcheck, dockerfile.base_pinned,
                 dockerfile.no_secrets, dockerfile.no_remote_add):
        rule(df)
    dockerfile.production_target(df, set())
    dockerfile.summary(df)
