"""Run the issue-15 rules of one family on a materialised tree (the probes, not pytest).

``findings(tree, family)`` -> the (file, line, message) each rule of that family reports;
the rule tests (test_rules_<family>.py) compare them with the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_readiness.plumbing import pyast, tree, webapps
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.probes.code import auth, routes, transport
from pytest_readiness.probes.deployment.monitoring import endpoints

Rule = Callable[[list[pyast.Module], list[webapps.App]], Sequence[Finding]]

RULES: dict[str, tuple[Rule, ...]] = {
    "routes": (lambda _m, apps: routes.unauthenticated(apps),
               lambda _m, apps: routes.prefix_exclusions(apps),
               lambda _m, apps: routes.unregistered(apps)),
    "cors": (lambda modules, _a: auth.cors_wildcard_with_credentials(modules),),
    "tls": (lambda modules, _a: auth.tls_verification_off(modules),),
    "transport": (lambda modules, apps: transport.https(webapps.Code(modules), apps),
                  lambda modules, _a: transport.grpc_plaintext(webapps.Code(modules))),
    "endpoints": (lambda modules, apps: endpoints.metrics_json(webapps.Code(modules), apps),
                  lambda modules, apps: endpoints.health_cannot_fail(webapps.Code(modules),
                                                                     apps)),
}


def findings(root: Path, family: str) -> list[Finding]:
    modules = list(pyast.modules(tree.inventory(root)))
    apps = webapps.read(modules)
    return [f for rule in RULES[family] for f in rule(modules, apps)]
