"""cert-manager in the codebase's Kubernetes manifests: which host names it issues and
renews certificates for (a ``Certificate``'s dnsNames, an Ingress annotated with a
cert-manager issuer). Pure: text in, names out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import yaml

from pytest_readiness.plumbing import yamlpos

ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
MAX_MANIFEST_BYTES = 1 << 20


def _documents(text: str) -> list[Any]:
    try:
        return yamlpos.documents(text)  # bounded: depth, nodes, alias expansion
    except yaml.YAMLError:  # a file that is not YAML names no certificate
        return []


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def managed_names(text: str) -> list[tuple[str, str]]:
    """(what, host name) pairs cert-manager renews, from one YAML file's documents."""
    found: list[tuple[str, str]] = []
    for doc in _documents(text):
        if not isinstance(doc, dict):
            continue
        kind, api = str(doc.get("kind", "")), str(doc.get("apiVersion", ""))
        meta, spec = _mapping(doc.get("metadata")), _mapping(doc.get("spec"))
        name = f"{kind} {meta.get('name', '?')}"
        if kind == "Certificate" and api.startswith("cert-manager.io/"):
            names = list(spec.get("dnsNames") or []) + [spec.get("commonName")]
            found += [(name, str(n)) for n in names if n]
        annotations = _mapping(meta.get("annotations"))
        if kind == "Ingress" and any(a in annotations for a in ISSUER_ANNOTATIONS):
            for tls in spec.get("tls") or []:
                if isinstance(tls, dict):
                    found += [(name, str(h)) for h in tls.get("hosts") or [] if h]
    return found


def covers(pattern: str, hostname: str) -> bool:
    """A certificate name (``*.example.com`` covers one label) matches the host name."""
    pattern, hostname = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = hostname.partition(".")
        return bool(head) and rest == pattern[2:]
    return fnmatch.fnmatchcase(hostname, pattern) if "*" in pattern else pattern == hostname


def renewing(manifests: Iterable[tuple[str, str]], hostname: str) -> list[str]:
    """``file: Kind name`` of every manifest by which cert-manager renews ``hostname``."""
    return [f"{rel}: {what}" for rel, text in manifests
            for what, name in managed_names(text) if covers(name, hostname)]
