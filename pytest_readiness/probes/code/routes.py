"""Routes and their guards (issue 15 item 1): the route inventory of every application in
a codebase, the sensitive routes anyone can reach, public-path lists matched by prefix,
and middleware, hooks or interceptors defined but never registered.

The applications come from plumbing/webapps (read statically, never imported). Levels:
an admin or debug route without auth is an error; metrics, API documentation, event
streams and RPC entry points without auth are warnings (often meant for an internal
network: say so in a waiver); a prefix match that exempts a route it does not name is an
error, one that exempts nothing more today a warning; an unregistered gate that would
authenticate is an error, any other unregistered middleware a warning. No pytest here.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.webapps import App, Route
from pytest_readiness.plumbing.webapps.model import sensitive_kind
from pytest_readiness.vocabulary import Level

SEVERE_KINDS = ("admin", "debug")
LEVELS = (
    RuleLevel("", Level.ERROR, "an admin or debug route anyone can call"),
    RuleLevel("", Level.WARNING, "metrics, API docs, an event stream or an RPC entry point "
              "anyone can call"),
)
PREFIX_LEVELS = (
    RuleLevel("", Level.ERROR, "the prefix match exempts a route the list does not name"),
    RuleLevel("", Level.WARNING, "prefix match, nothing more exempt today"),
)
UNREGISTERED_LEVELS = (
    RuleLevel("", Level.ERROR, "an authentication gate nobody registers"),
    RuleLevel("", Level.WARNING, "another middleware, hook or interceptor nobody registers"),
)


def inventory(apps: Iterable[App]) -> list[dict[str, object]]:
    """One row per route: the evidence a reviewer reads (and the HTML report shows)."""
    return [{"framework": app.framework, **row} for app in apps for row in app.inventory()]


def _unregistered_auth(app: App) -> bool:
    return any(g.authenticates and not g.registered for g in app.gates) and not app.auth_gates


def _why(route: Route) -> str:
    if route.exempt:
        return f"exempt from authentication by {route.exempt}"
    if route.gated_by:
        return "no guard"
    return "no authentication middleware, dependency or decorator applies"


def unauthenticated(apps: Iterable[App]) -> list[Finding]:
    """Sensitive routes reachable without authentication."""
    found: list[Finding] = []
    for app in apps:
        if _unregistered_auth(app):
            continue  # the root cause is reported by ``unregistered``
        for route in app.routes:
            kind = route.sensitive
            if kind is None or route.authenticated:
                continue
            level = Level.ERROR if kind in SEVERE_KINDS else Level.WARNING
            what = f"{route.method} {route.path}"
            if route.kind == "docs":
                paths = [r.path for r in app.routes if r.kind == "docs" and r.line == route.line
                         and r.file == route.file]
                what = "API documentation " + ", ".join(paths)
            found.append(Finding("", f"{kind} route {what} ({route.handler}) is reachable "
                                 f"without authentication: {_why(route)}", route.file,
                                 route.line, level=level))
        for gate in app.auth_gates:
            if gate.framework != "grpc" or gate.exclusion is None:
                continue
            for value, line in gate.exclusion.entries:
                if value and (kind := _rpc_kind(value)):
                    found.append(Finding("", f"{kind} RPC {value} is in {gate.exclusion.name}, "
                                         f"the methods {gate.name} lets through without a "
                                         "token", gate.exclusion.file, line,
                                         level=Level.ERROR if kind in SEVERE_KINDS
                                         else Level.WARNING))
    return _dedupe(found)


def _rpc_kind(method: str) -> str | None:
    return sensitive_kind(method.replace("grpc.health", ""))


def prefix_exclusions(apps: Iterable[App]) -> list[Finding]:
    """Public-path lists compared with ``startswith``: they exempt more than they name."""
    found: list[Finding] = []
    for app in apps:
        for gate in app.auth_gates:
            ex = gate.exclusion
            if ex is None or ex.prefix_line is None:
                continue
            named = {v for v, _ in ex.entries if v}
            extra = sorted({r.path for r in app.routes if r.exempt and r.path not in named})
            shown = ", ".join(sorted(named)) or "its entries"
            if extra:
                msg = (f"{gate.name} exempts by prefix every path starting with {shown}: "
                       f"also {', '.join(extra[:5])}, which {ex.name} does not name")
            else:
                msg = (f"{gate.name} exempts by prefix every path or method starting with "
                       f"{shown}: any new route under them is public too (compare exactly)")
            level = Level.ERROR if extra or app.framework == "grpc" else Level.WARNING
            found.append(Finding("", msg, ex.compare_file, ex.prefix_line, level=level))
    return _dedupe(found)


def unregistered(apps: Iterable[App]) -> list[Finding]:
    """Middleware, hooks and interceptors defined in the codebase that no app registers."""
    found: list[Finding] = []
    for app in apps:
        for gate in app.gates:
            if gate.registered:
                continue
            if gate.authenticates:
                exposed = [r for r in app.routes if not r.guards and r.sensitive]
                tail = (f"; without it {len(exposed)} sensitive route(s) have no guard "
                        f"({', '.join(r.path for r in exposed[:4])})") if exposed else ""
                found.append(Finding("", f"{gate.kind} {gate.name} authenticates requests but "
                                     f"the {app.framework} app never registers it{tail}",
                                     gate.file, gate.line, level=Level.ERROR))
            else:
                found.append(Finding("", f"{gate.kind} {gate.name} is defined but the "
                                     f"{app.framework} app never registers it", gate.file,
                                     gate.line, level=Level.WARNING))
    return _dedupe(found)


def _dedupe(found: list[Finding]) -> list[Finding]:
    seen: set[tuple[str | None, int | None]] = set()
    out = []
    for f in found:
        if (f.file, f.line) not in seen:
            seen.add((f.file, f.line))
            out.append(f)
    return out
