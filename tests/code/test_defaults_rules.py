"""Insecure framework defaults: debug mode, ALLOWED_HOSTS, the auto-reloader."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.code import defaults
from tests.code.conftest import module_of

DJANGO = 'INSTALLED_APPS = ["parcels"]\nROOT_URLCONF = "shipping.urls"\n'
# Environment helpers as a project writes them (plumbing/envreads.py finds wrappers of
# os.environ in the tree; django-environ's Env is a library getter). Findings' lines are
# counted from the end of this preamble.
ENV = """import os
import environ
env = environ.Env()
def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes")
def env_list(name, default=""):
    return [h for h in os.environ.get(name, default).split(",") if h]
"""
AFTER = ENV.count("\n")


@pytest.mark.parametrize("source,rel,lines", [
    ('DEBUG = env_bool("DJANGO_DEBUG", True)', "app/settings.py", [1]),
    ('DEBUG = os.environ.get("DEBUG", "1") == "1"', "app/settings.py", [1]),  # on if unset
    ('DEBUG = os.environ.get("DEBUG", "0") == "1"', "app/settings.py", []),
    ('DEBUG = os.environ.get("DEBUG", "True").lower() in ("1", "true")', "app/settings.py",
     [1]),
    ('DEBUG = os.environ.get("DEBUG", "1") != "1"', "app/settings.py", []),
    ('DEBUG = os.environ.get("DEBUG", "x") == SOMETHING', "app/settings.py", []),
    ('DEBUG = os.getenv("DEBUG", "true")', "app/config.py", [1]),
    ('DEBUG = env.bool("DEBUG", default=True)', "app/settings.py", [1]),
    ('DEBUG = env_bool("DJANGO_DEBUG", False)', "app/settings.py", []),
    ('FLASK_DEBUG = os.environ.get("FLASK_DEBUG") or "1"', "app/settings.py", [1]),
    (DJANGO + "DEBUG = True", "shipping/settings.py", [3]),
    (DJANGO + "DEBUG = True", "shipping/settings/dev.py", []),  # a development module
    ("DEBUG = True", "app/constants.py", []),  # not a settings module
    ('DEBUG = flag("DEBUG", True)', "app/settings.py", []),  # no env read the model knows
    ("app.run(host=HOST, port=PORT, debug=True)", "app/wsgi.py", [1]),
    ("app.run(host=HOST, port=PORT, debug=settings.DEBUG)", "app/wsgi.py", []),
])
def test_debug(source: str, rel: str, lines: list[int]) -> None:
    found = defaults.debug_enabled([module_of(ENV + source, rel)])
    assert [f.line - AFTER for f in found] == lines


@pytest.mark.parametrize("source,lines", [
    ('ALLOWED_HOSTS = ["*"]', [1]),
    ('ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "*")', [1]),
    ('ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "a.example,*").split(",")', [1]),
    ('ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "shipping.example.com")', []),
    ('ALLOWED_HOSTS = [".example.com", "localhost"]', []),
])
def test_allowed_hosts(source: str, lines: list[int]) -> None:
    found = defaults.allowed_hosts_wildcard([module_of(ENV + source, "shipping/settings.py")])
    assert [(f.line - AFTER, f.level) for f in found] == [(line, "warning") for line in lines]


@pytest.mark.parametrize("source,lines", [
    ('uvicorn.run("orders.app:app", host="0.0.0.0",\n    reload=True)', [2]),
    ('uvicorn.run(app, reload=env_bool("RELOAD", True))', [1]),
    ('uvicorn.run(app, host="0.0.0.0", port=8000)', []),
    ('uvicorn.run(app, reload=settings.RELOAD)', []),
    ("app.run(use_reloader=True)", [1]),
])
def test_reload(source: str, lines: list[int]) -> None:
    found = defaults.reload_enabled([module_of(ENV + "import uvicorn\n" + source,
                                               "app/__main__.py")])
    assert [f.line - AFTER - 1 for f in found] == lines


def test_reload_in_compose_and_dockerfile_commands() -> None:
    compose = ["services:", "  api:", "    image: api", '    command: uvicorn app:app --reload',
               "  worker:", "    command:", "      - celery", "      - --reload-ish",
               "  web:", "    entrypoint: [\"fastapi\", \"run\", \"--reload\", \"app.py\"]",
               "    environment:", "      - ARGS=--reload"]
    dockerfile = ["FROM python:3.12", "RUN pip install --reload x",
                  'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--reload"]']
    found = defaults.reload_in_commands([("compose.yml", compose), ("Dockerfile", dockerfile)])
    assert [(f.file, f.line, f.level) for f in found] == [
        ("compose.yml", 4, "warning"), ("compose.yml", 10, "warning"),
        ("Dockerfile", 3, "warning")]
