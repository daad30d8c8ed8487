"""Static models of web and RPC applications (aiohttp, FastAPI/Starlette, Flask, Django,
gRPC): their routes, middleware and what guards each route. Read from the codebase
index, never imported. Pure, no pytest."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_readiness.plumbing import pyast
from pytest_readiness.plumbing.webapps import aiohttp, django, fastapi, flask, grpc
from pytest_readiness.plumbing.webapps.model import App, Code, Exclusion, Gate, Route

__all__ = ["App", "Code", "Exclusion", "Gate", "Route", "read"]

READERS = (aiohttp.read, fastapi.read, flask.read, django.read, grpc.read)


def read(modules: Iterable[pyast.Module]) -> list[App]:
    """Every application found in the modules of one codebase."""
    code = Code(modules)
    return [app for reader in READERS for app in reader(code)]
