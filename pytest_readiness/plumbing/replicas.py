"""How many processes a deployment runs the code in: worker counts of server command lines
(gunicorn/uvicorn ``-w N``/``--workers N``, ``WEB_CONCURRENCY``, ``GUNICORN_CMD_ARGS``)
and Kubernetes workloads' ``spec.replicas`` (manifests read with the bounded YAML loader
of yamlpos.py). Facts only: the checks decide what they mean. No pytest here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_readiness.plumbing.yamlpos import LineDict, ParseError, as_list, as_mapping, load_all

SERVERS = re.compile(r"\b(?:gunicorn|uvicorn|hypercorn|daphne|granian)\b")
# Servers that take their worker count from WEB_CONCURRENCY when the command gives none.
WEB_CONCURRENCY_SERVERS = re.compile(r"\b(?:gunicorn|uvicorn)\b")
WORKERS = re.compile(r"(?:^|\s)(?:-w|--workers)(?:\s+|=)?(\d+)\b")
WORKLOADS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
WORKLOAD_KIND = re.compile(r"(?m)^kind:\s*[\"']?(?:Deployment|StatefulSet|ReplicaSet)\b")


def workers(command: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """(worker processes a gunicorn/uvicorn/hypercorn command line starts, what says so):
    ``-w N``/``--workers N`` on the line, else ``--workers`` in ``GUNICORN_CMD_ARGS`` (for
    gunicorn), else ``WEB_CONCURRENCY`` (gunicorn, uvicorn) from ``env``; (1, "") when
    nothing says more (a value that is not a number, ``${WORKERS}``, says nothing)."""
    if not SERVERS.search(command):
        return 1, ""
    found = WORKERS.search(command)
    if found:
        return int(found.group(1)), command
    env = env or {}
    args = env.get("GUNICORN_CMD_ARGS", "")
    found = WORKERS.search(args) if "gunicorn" in command else None
    if found:
        return int(found.group(1)), f"GUNICORN_CMD_ARGS={args}"
    concurrency = env.get("WEB_CONCURRENCY", "").strip()
    if concurrency.isdigit() and WEB_CONCURRENCY_SERVERS.search(command):
        return int(concurrency), f"WEB_CONCURRENCY={concurrency} ({command})"
    return 1, ""


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    command: str  # command and args as one line ("" when the image's own)
    env: dict[str, str]


@dataclass(frozen=True)
class Workload:
    """A Kubernetes Deployment/StatefulSet/ReplicaSet of a manifest in the tree."""

    kind: str
    name: str
    replicas: int  # spec.replicas (1 when absent, as Kubernetes defaults it)
    file: str
    line: int  # of spec.replicas, else of the document's kind
    containers: tuple[Container, ...]


def _container(spec: object) -> Container:
    spec = as_mapping(spec)
    command = " ".join(str(w) for key in ("command", "args") for w in as_list(spec.get(key)))
    env = {str(as_mapping(e).get("name")): str(as_mapping(e).get("value"))
           for e in as_list(spec.get("env")) if "value" in as_mapping(e)}
    return Container(str(spec.get("name", "")), str(spec.get("image", "")), command, env)


def workloads(rel: str, text: str) -> list[Workload]:
    """The workloads of a Kubernetes manifest (several documents allowed); none for a file
    that is no manifest or does not parse (a Helm template with ``{{ }}``)."""
    if not WORKLOAD_KIND.search(text):
        return []
    try:
        documents = load_all(text, rel)
    except ParseError:
        return []
    out = []
    for doc in documents:
        if not isinstance(doc, LineDict) or doc.get("kind") not in WORKLOADS:
            continue
        spec = as_mapping(doc.get("spec"))
        raw = spec.get("replicas", 1)
        replicas = raw if isinstance(raw, int) and not isinstance(raw, bool) else 1
        line = spec.line_of("replicas") if "replicas" in spec else doc.line_of("kind")
        pod = as_mapping(as_mapping(spec.get("template")).get("spec"))
        containers = tuple(_container(c) for c in as_list(pod.get("containers")))
        name = str(as_mapping(doc.get("metadata")).get("name", ""))
        out.append(Workload(str(doc["kind"]), name, replicas, rel, line, containers))
    return out
