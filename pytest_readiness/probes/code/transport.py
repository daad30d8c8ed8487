"""Transport security of the applications (issue 15 item 3): HTTPS enforced, HSTS sent,
session cookies marked Secure, gRPC served and called over TLS.

Read from the static app model (plumbing/webapps) and the code:

- HTTPS: a redirect to https in the app (``HTTPSRedirectMiddleware``, a middleware or
  ``before_request`` hook that redirects when the request is not secure, flask-talisman),
  or Django's ``SECURE_SSL_REDIRECT`` (its default resolved through env reads);
- HSTS: ``Strict-Transport-Security`` set anywhere (str or bytes), flask-talisman, or
  Django's ``SECURE_HSTS_SECONDS`` above 0;
- cookies: ``set_cookie(..., secure=False)``; Django's ``SESSION_COOKIE_SECURE`` and
  ``CSRF_COOKIE_SECURE`` false;
- gRPC: ``add_insecure_port`` on an address beyond loopback (resolved through settings and
  their env defaults), ``insecure_channel`` to a remote target.

Levels: an app that took transport security on (it sets security headers or has Django's
SECURE_* settings) and misses the redirect or HSTS gets a warning (TLS may also be ended
and redirected by the ingress: say so in a waiver); an app that does none of it gets a
note (the proxy's job, cannot tell from the code). Cookies explicitly not Secure, and
plaintext gRPC bound to a public address or to a public host, are errors; plaintext on
every interface (what a container must bind) or to an internal name (a compose service,
``*.internal``, a private IP) is a warning, as is an address or target the code does not
name. No pytest here.
"""

from __future__ import annotations

import ast
import ipaddress
from collections.abc import Iterable

from pytest_readiness.plumbing import envreads, pyast
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.suppress import snippet
from pytest_readiness.plumbing.webapps import App, Code
from pytest_readiness.plumbing.webapps.django import settings_modules
from pytest_readiness.vocabulary import Level

HTTPS_RULES = ("https-not-enforced", "hsts-missing", "cookie-not-secure")
GRPC_RULES = ("insecure-port", "insecure-channel")
HTTPS_LEVELS = (
    RuleLevel("cookie-not-secure", Level.ERROR, "a session cookie explicitly not Secure"),
    RuleLevel("https-not-enforced", Level.WARNING, "the app sets security headers or SECURE_* "
              "settings but does not redirect plain HTTP"),
    RuleLevel("hsts-missing", Level.WARNING, "the app sets security headers but no HSTS"),
    RuleLevel("https-not-enforced", Level.NOTE, "the app does no transport security at all "
              "(the proxy's job: cannot tell from the code)"),
)
GRPC_LEVELS = (
    RuleLevel("insecure-port", Level.ERROR, "plaintext gRPC bound to a public address"),
    RuleLevel("insecure-channel", Level.ERROR, "a plaintext channel to a public host (a "
              "public IP, or a DNS name outside private zones)"),
    RuleLevel("insecure-port", Level.WARNING, "plaintext gRPC on every interface or a "
              "private address (a container must bind them; whether the network is private "
              "or a mesh adds mTLS cannot be told from the code), or an address the code "
              "does not name"),
    RuleLevel("insecure-channel", Level.WARNING, "a plaintext channel to an internal name "
              "(a compose service, *.internal, *.svc, a private IP) or a target the code "
              "does not name"),
)
# DNS zones that do not leave a private network (RFC 6762 .local, RFC 8375 home.arpa,
# Kubernetes' .svc / .cluster.local, the common .internal / .lan / .localdomain).
PRIVATE_ZONES = (".local", ".internal", ".svc", ".cluster.local", ".lan", ".localdomain",
                 ".home.arpa")
SECURITY_HEADERS = ("strict-transport-security", "x-content-type-options", "x-frame-options",
                    "content-security-policy", "referrer-policy")
HSTS = "strict-transport-security"
LOOPBACK = ("127.", "localhost", "[::1]", "::1", "unix:", "unix-abstract:")
ALL_INTERFACES = ("0.0.0.0", "[::]", "::", "")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        value = node.value
        return (value.decode("latin-1") if isinstance(value, bytes) else value).lower()
    return None


def _finding(m: pyast.Module, rule: str, message: str, line: int, level: Level) -> Finding:
    return Finding(rule, message, m.rel, line, snippet(m.line(line)), level)


def _top_defs(m: pyast.Module) -> list[ast.AST]:
    assert m.tree is not None
    return [n for n in m.tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _headers_in(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        text = _text(sub)
        if text:
            found.update(h for h in SECURITY_HEADERS if h in text)
    return found


def _redirects(node: ast.AST, m: pyast.Module) -> bool:
    """A redirect to https inside this definition."""
    redirect = https = False
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            name = sub.id if isinstance(sub, ast.Name) else sub.attr
            if "redirect" in name.lower():
                redirect = True
            if name in ("is_secure", "secure"):
                https = True
        text = _text(sub)
        if text and text.startswith("https"):
            https = True
    return redirect and https


class _Facts:
    def __init__(self, code: Code) -> None:
        self.components: list[tuple[pyast.Module, ast.AST, set[str]]] = []
        self.redirect = code.referenced("HTTPSRedirectMiddleware") or \
            code.referenced("Talisman") or code.referenced("SSLify")
        self.hsts = code.referenced("Talisman")
        for m in code.modules:
            for node in _top_defs(m):
                headers = _headers_in(node)
                if headers:
                    self.components.append((m, node, headers))
                    self.hsts = self.hsts or HSTS in headers
                if not self.redirect and _redirects(node, m):
                    self.redirect = True
        if not self.hsts:
            self.hsts = any(HSTS in (_text(c) or "") for m in code.modules
                            for c in m.of(ast.Constant))

    def component(self) -> tuple[pyast.Module, ast.AST] | None:
        if not self.components:
            return None
        named = [c for c in self.components
                 if any(w in getattr(c[1], "name", "").lower() for w in ("secur", "https"))]
        m, node, _ = (named or self.components)[0]
        return m, node


def _registrar(code: Code, comp: ast.AST) -> tuple[pyast.Module, ast.AST] | None:
    """The function that registers a Flask hook (``app.after_request(comp)``)."""
    name = getattr(comp, "name", "")
    for m in code.modules:
        for node in _top_defs(m):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and pyast.tail(m.resolve(sub.func)) in (
                        "after_request", "before_request") and sub.args and \
                        pyast.tail(m.resolve(sub.args[0])) == name:
                    return m, node
    return None


def https(code: Code, apps: Iterable[App],
          known: dict[str, envreads.Helper] | None = None) -> list[Finding]:
    """HTTPS redirect and HSTS of the HTTP apps, session cookies (``known``: the
    codebase's settings helpers, envreads.index_helpers; else worked out here)."""
    found: list[Finding] = []
    apps = [a for a in apps if a.framework in ("aiohttp", "fastapi", "flask")]
    if apps:
        found += _app_https(code, apps[0])
    for s in settings_modules(code):
        found += _django(code, s, envreads.helpers(code.modules) if known is None else known)
        break
    found += _cookies(code)
    return found


def _app_https(code: Code, app: App) -> list[Finding]:
    facts = _Facts(code)
    comp = facts.component()
    app_module = next(m for m in code.modules if m.rel == app.file)
    took_on = comp is not None
    level = Level.WARNING if took_on else Level.NOTE
    out = []
    if not facts.redirect:
        anchor: tuple[pyast.Module, int] = (app_module, app.line)
        if comp is not None and app.framework == "aiohttp":
            anchor = (comp[0], getattr(comp[1], "lineno", app.line))
        elif comp is not None and app.framework == "flask":
            reg = _registrar(code, comp[1])
            if reg is not None and reg[0].rel != app.file:
                anchor = (reg[0], getattr(reg[1], "lineno", app.line))
        out.append(_finding(anchor[0], "https-not-enforced", f"the {app.framework} app serves "
                            "plain HTTP: nothing redirects to https (HTTPSRedirectMiddleware, "
                            "a redirecting middleware or hook)", anchor[1], level))
    if not facts.hsts and comp is not None:
        m, node = comp
        out.append(_finding(m, "hsts-missing", f"{getattr(node, 'name', '?')} sets security "
                            "headers but no Strict-Transport-Security", node.lineno,  # type: ignore[attr-defined]
                            Level.WARNING))
    return out


def _setting(code: Code, m: pyast.Module, name: str, known: dict[str, envreads.Helper]
             ) -> tuple[object, int] | None:
    value = code.assigns(m).get(name)
    if value is None:
        return None
    line = next((n.lineno for n in m.of(ast.Assign)
                 if any(isinstance(t, ast.Name) and t.id == name for t in n.targets)), 1)
    read = envreads.read_of(m, value, known)
    if read is not None:
        return (read.default_value if read.has_default else envreads.UNKNOWN), line
    return envreads.constant(value), line


def _off(value: object) -> bool:
    if isinstance(value, bool):
        return value is False
    if isinstance(value, int):
        return value == 0
    if isinstance(value, str):
        return value.strip().lower() in ("", "0", "false", "no", "off")
    return False


def _django(code: Code, s: pyast.Module, known: dict[str, envreads.Helper]) -> list[Finding]:
    took_on = any(k.startswith("SECURE_") for k in code.assigns(s)) or \
        "SecurityMiddleware" in s.text
    absent = Level.WARNING if took_on else Level.NOTE
    out = []
    for name, rule, what in (("SECURE_SSL_REDIRECT", "https-not-enforced", "plain HTTP is "
                              "served, not redirected"),
                             ("SECURE_HSTS_SECONDS", "hsts-missing", "no HSTS header"),
                             ("SESSION_COOKIE_SECURE", "cookie-not-secure", "the session "
                              "cookie goes over plain HTTP too"),
                             ("CSRF_COOKIE_SECURE", "cookie-not-secure", "the CSRF cookie "
                              "goes over plain HTTP too")):
        found = _setting(code, s, name, known)
        if found is None:
            out.append(_finding(s, rule, f"{name} is not set (Django's default is off): "
                                f"{what}", 1, absent))
        elif _off(found[0]):
            level = Level.ERROR if rule == "cookie-not-secure" else Level.WARNING
            out.append(_finding(s, rule, f"{name} defaults to {found[0]!r}: {what}", found[1],
                                level))
    return out


def _cookies(code: Code) -> list[Finding]:
    out = []
    for m in code.modules:
        for call in m.calls:
            if pyast.tail(call.name) != "set_cookie":
                continue
            secure = call.keyword("secure")
            if pyast.is_false(secure):
                assert secure is not None
                out.append(_finding(m, "cookie-not-secure", "set_cookie(secure=False): the "
                                    "cookie goes over plain HTTP too", secure.lineno,
                                    Level.ERROR))
    return out


# --- gRPC ----------------------------------------------------------------------------


def _address(code: Code, m: pyast.Module, node: ast.expr | None) -> str | None:
    """A literal address, or a setting's env default (``settings.LISTEN_ADDRESS``)."""
    value = code.const(m, node)
    if value is not None:
        return value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        target = code.by_name.get(m.aliases.get(node.value.id, node.value.id))
        if target is not None:
            expr = code.assigns(target).get(node.attr)
            read = envreads.read_of(target, expr)
            if read is not None and read.has_default:
                default = read.default_value
                return default if isinstance(default, str) else None
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value + "{?}"
    return None


def _host(address: str) -> str:
    address = address.strip()
    if address.startswith("["):
        return address[: address.find("]") + 1]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def grpc_plaintext(code: Code) -> list[Finding]:
    out = []
    for m in code.importing("grpc"):
        for call in m.calls:
            tail = pyast.tail(call.name)
            if tail == "add_insecure_port":
                out += _port(code, m, call)
            elif call.name in ("grpc.insecure_channel", "grpc.aio.insecure_channel"):
                out += _channel(code, m, call)
    return out


def _port(code: Code, m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    address = _address(code, m, call.arg(0, "address"))
    if address is None:
        return [_finding(m, "insecure-port", "add_insecure_port on an address the code does "
                         "not name: plaintext gRPC if it is not loopback", call.line,
                         Level.WARNING)]
    host = _host(address)
    if address.strip().startswith(LOOPBACK) or host.startswith(LOOPBACK):
        return []
    if host in ALL_INTERFACES:
        return [_finding(m, "insecure-port", f"add_insecure_port({address!r}): plaintext gRPC "
                         "on every interface (TLS only if the network or a mesh adds it)",
                         call.line, Level.WARNING)]
    level = Level.ERROR if _public(host) else Level.WARNING
    return [_finding(m, "insecure-port", f"add_insecure_port({address!r}): plaintext gRPC on "
                     f"{host}", call.line, level)]


def _public(host: str) -> bool:
    """A public IP address, or a DNS name with a dot outside the private zones; a bare
    name (a compose service, ``cart``) and private, link-local or reserved IPs are not."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    return "." in host and not host.endswith(PRIVATE_ZONES)


def _channel(code: Code, m: pyast.Module, call: pyast.CallSite) -> list[Finding]:
    target = _address(code, m, call.arg(0, "target"))
    if target is None:
        return [_finding(m, "insecure-channel", "insecure_channel to a target the code does "
                         "not name: plaintext if it is remote", call.line, Level.WARNING)]
    bare = target.removeprefix("dns:///").removeprefix("ipv4:").removeprefix("ipv6:")
    if bare.strip().startswith(LOOPBACK) or _host(bare).startswith(LOOPBACK):
        return []
    if _public(_host(bare)):
        return [_finding(m, "insecure-channel", f"insecure_channel({target!r}): plaintext to "
                         "a public host", call.line, Level.ERROR)]
    return [_finding(m, "insecure-channel", f"insecure_channel({target!r}): plaintext to an "
                     "internal name (TLS only if the network or a mesh adds it)", call.line,
                     Level.WARNING)]
