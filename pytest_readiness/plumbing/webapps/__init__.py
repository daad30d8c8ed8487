"""Static models of web and RPC applications (aiohttp, FastAPI/Starlette, Flask, Django,
gRPC): their routes, middleware and what guards each route. Read from the codebase
index, never imported. Pure, no pytest."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.plumbing.webapps import aiohttp, django, fastapi, flask, grpc
from pytest_readiness.plumbing.webapps.model import App, Code, Exclusion, Gate, Route

__all__ = ["App", "Code", "Exclusion", "Gate", "Route", "from_inventory", "read", "read_code",
           "unmodelled"]

READERS = (aiohttp.read, fastapi.read, flask.read, django.read, grpc.read)


def read(modules: Iterable[pyast.Module], unparsed: Iterable[str] = ()) -> list[App]:
    """Every application found in the modules of one codebase; ``unparsed``: the files that
    did not parse (named in each app's notes; a guard imported from one is unknown)."""
    return read_code(Code(modules, unparsed))


def read_code(code: Code) -> list[App]:
    apps = [app for reader in READERS for app in reader(code)]
    for app in apps:
        app.notes += [f"{rel} did not parse: its routes and guards are not in the inventory"
                      for rel in sorted(set(code.unparsed.values()))]
    return apps


# Servers the model does not read: their routes are not in the inventory (said, not hidden).
UNMODELLED = ("mcp.server", "fastmcp", "tornado", "sanic", "quart", "falcon", "bottle", "litestar",
              "pyramid", "cherrypy", "twisted.web", "socketio", "websockets", "graphene",
              "strawberry", "connexion")


def unmodelled(code: Code) -> list[str]:
    """``framework (file)`` for each module importing a server framework the model does not
    read."""
    out = []
    for m in code.modules:
        names = {n for n, _ in m.imports}
        for fw in UNMODELLED:
            if any(n == fw or n.startswith(fw + ".") for n in names):
                out.append(f"{fw} ({m.rel})")
                break
    return out


def from_inventory(inventory: Inventory) -> tuple[Code, list[App]]:
    """The codebase's modules (parsed once, from the index) and its applications, read
    once per index (the routes, transport and monitoring checks all ask)."""
    def make() -> tuple[Code, list[App]]:
        code = Code(pyast.modules(inventory), [rel for rel, _ in pyast.parse_errors(inventory)])
        return code, read_code(code)

    code, apps = inventory.derive("webapps", make)
    return code, list(apps)
