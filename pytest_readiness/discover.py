"""What ``pytest-readiness init`` finds in a directory, and the readiness.yaml it writes.

Compose files are parsed with PyYAML, each with the ``.env`` beside it for
``${VAR}`` interpolation (as Compose reads it). A file named or used for tests
or development (``docker-compose.test.yml``, ``compose.tests.yaml``,
``*dev*``, an override that runs a dev server) is listed commented out with
the reason, so it is not audited as production; the same goes for test and
code-generation Dockerfiles.

Every port a production compose service publishes is judged by what serves it
(:func:`port_service`: the image, then the container port, from two small
tables): only HTTP(S) becomes an endpoint on localhost; PostgreSQL, Redis,
SMTP, AMQP ... are named in a comment (databases become commented
``databases:`` entries whose DSN comes from the environment); an unknown
service is commented out with a note. Health paths come from the services'
compose healthchecks (a ``curl``/``wget`` URL to localhost). Units, protos
(the same file name in several places is one contract), CI workflows and docs
are listed as found. A compose file that does not parse is named in a comment,
not fatal. Every generated value is escaped for the config loader's ``${VAR}``
interpolation.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.config import escape_interpolation
from pytest_readiness.plumbing import scope, tree, yamlpos
from pytest_readiness.plumbing.envfile import read_env_file, substitute
from pytest_readiness.plumbing.reader import Reader

# --- what serves a port ---------------------------------------------------------
# Images whose main protocol is not HTTP: (protocol, container ports that do serve HTTP).
SERVICE_IMAGES: dict[str, tuple[str, frozenset[int]]] = {
    **dict.fromkeys(("postgres", "postgis", "timescaledb", "timescaledb-ha", "pgvector"),
                    ("PostgreSQL", frozenset())),
    **dict.fromkeys(("mysql", "mariadb", "percona", "percona-server"), ("MySQL", frozenset())),
    **dict.fromkeys(("redis", "valkey", "keydb", "dragonfly", "redis-stack-server"),
                    ("Redis", frozenset())),
    "redis-stack": ("Redis", frozenset({8001})),
    "mongo": ("MongoDB", frozenset()),
    "rabbitmq": ("AMQP", frozenset({15672})),
    "memcached": ("memcached", frozenset()),
    **dict.fromkeys(("kafka", "cp-kafka"), ("Kafka", frozenset())),
    **dict.fromkeys(("zookeeper", "cp-zookeeper"), ("ZooKeeper", frozenset())),
    "nats": ("NATS", frozenset({8222})),
    "mosquitto": ("MQTT", frozenset()),
    "emqx": ("MQTT", frozenset({18083})),
    **dict.fromkeys(("mailpit", "mailhog"), ("SMTP", frozenset({8025}))),
    "cassandra": ("Cassandra", frozenset()),
    "neo4j": ("Neo4j Bolt", frozenset({7474})),
    "clickhouse-server": ("ClickHouse native", frozenset({8123})),
    "etcd": ("etcd", frozenset()),
}
# Container ports of well-known services that are not HTTP.
SERVICE_PORTS: dict[int, str] = {
    5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 11211: "memcached",
    25: "SMTP", 465: "SMTP", 587: "SMTP", 1025: "SMTP", 5672: "AMQP", 5671: "AMQP",
    9092: "Kafka", 2181: "ZooKeeper", 4222: "NATS", 1883: "MQTT", 8883: "MQTT",
    4317: "OTLP/gRPC", 9042: "Cassandra", 1433: "SQL Server", 1521: "Oracle", 7687: "Neo4j Bolt",
    2379: "etcd", 50051: "gRPC", 53: "DNS", 22: "SSH", 21: "FTP", 389: "LDAP", 636: "LDAPS",
    143: "IMAP", 993: "IMAPS", 110: "POP3", 995: "POP3S",
}
HTTPS_PORTS = frozenset({443, 8443})
HTTP_PORTS = frozenset({80, 3000, 5000, 8000, 8080, 8081, 8088, 8888, 9090, 4318, 5601, 9200,
                        16686})
DATABASE_KINDS = {"PostgreSQL": "postgresql", "MySQL": "mysql"}

LOCAL_URL = re.compile(r"(?P<scheme>https?)://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])"
                       r"(?::(?P<port>\d+))?(?P<path>/[^\s'\"|;&)]*)?")


@dataclass(frozen=True)
class PublishedPort:
    service: str
    host_port: int
    container_port: int | None
    compose_file: str
    image: str = ""
    health: str | None = None  # path of an HTTP healthcheck on this port

    @property
    def served(self) -> tuple[str, str]:
        kind, protocol = port_service(self.image, self.container_port or self.host_port)
        if kind == "unknown" and self.health:  # its own healthcheck fetches HTTP on it
            return "http", "HTTP"
        return kind, protocol


@dataclass(frozen=True)
class Unpublished:
    """A service with an HTTP healthcheck that publishes no port (behind a proxy)."""

    service: str
    compose_file: str
    health: str


@dataclass
class Discovery:
    root: Path
    compose: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    protos: list[list[str]] = field(default_factory=list)
    python_files: int = 0
    async_code: bool = False
    ports: list[PublishedPort] = field(default_factory=list)
    other_ports: list[PublishedPort] = field(default_factory=list)  # in test/dev files
    unpublished: list[Unpublished] = field(default_factory=list)
    databases: list[tuple[str, str]] = field(default_factory=list)  # (service, kind)
    not_production: dict[str, str] = field(default_factory=dict)  # file -> why
    roles: dict[str, scope.Judgement] = field(default_factory=dict)  # glob -> inferred role
    problems: list[str] = field(default_factory=list)


def image_name(image: str) -> str:
    """``docker.io/library/postgres:16-alpine@sha256:..`` -> ``postgres``."""
    last = image.strip().lower().rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0]


def port_service(image: str, container_port: int) -> tuple[str, str]:
    """What serves a container port: ("https" | "http" | "other" | "unknown", protocol).

    The image decides first (a Redis image on 6380 is Redis; RabbitMQ's 15672 is
    its HTTP management UI), then the port (5432 is PostgreSQL whatever the image).
    """
    known = SERVICE_IMAGES.get(image_name(image)) if image else None
    if container_port in HTTPS_PORTS:
        return "https", "HTTPS"
    if known is not None:
        protocol, http_ports = known
        return ("http", "HTTP") if container_port in http_ports else ("other", protocol)
    if container_port in SERVICE_PORTS:
        return "other", SERVICE_PORTS[container_port]
    if container_port in HTTP_PORTS:
        return "http", "HTTP"
    return "unknown", "unknown"


def file_role(rel: str, tree: Any = None) -> str | None:
    """Why a file is not production (``role: reason``), or None when names and content say
    it is, from the scope model (plumbing/scope.py): its names and directories
    (``docker-compose.test.yml``, ``Dockerfile.cypress``, ``genproto/``) and, for a compose
    overlay, what it runs (a dev server such as ``fastapi dev``)."""
    judged = scope.compose_role(rel, tree) or scope.name_role(rel)
    if judged is None or judged.production:
        return None
    return f"{judged.role}: {judged.reason}"


def parse_port(entry: Any) -> tuple[int, int | None] | None:
    """A compose ``ports`` entry -> (published host port, container port), or None.

    Handles "8080:80", "127.0.0.1:8080:80/tcp", "8000-8001:8000-8001" (first
    port), 8080 (not published on a fixed host port: None) and the long syntax.
    """
    if isinstance(entry, dict):
        published, target = entry.get("published"), entry.get("target")
        try:
            return (int(str(published).split("-")[0]),
                    int(target) if target is not None else None) if published else None
        except ValueError:
            return None
    text = str(entry).split("/")[0]
    parts = text.rsplit(":", 2) if text.count(":") <= 2 else []
    if len(parts) < 2:
        return None
    host, container = parts[-2], parts[-1]
    match_host = re.fullmatch(r"(\d+)(?:-\d+)?", host)
    match_container = re.fullmatch(r"(\d+)(?:-\d+)?", container)
    if not match_host:
        return None
    return int(match_host.group(1)), int(match_container.group(1)) if match_container else None


def health_url(healthcheck: Any, env: dict[str, str]) -> tuple[int, str] | None:
    """(container port, path) of the local URL a healthcheck fetches, if any."""
    if not isinstance(healthcheck, dict):
        return None
    test = healthcheck.get("test")
    text = " ".join(map(str, test)) if isinstance(test, list) else str(test or "")
    match = LOCAL_URL.search(substitute(text, env) or "")
    if not match:
        return None
    port = int(match["port"]) if match["port"] else (443 if match["scheme"] == "https" else 80)
    return port, match["path"] or "/"


def _read_compose(path: Path, rel: str, found: Discovery, reader: Reader) -> None:
    try:
        tree = yamlpos.safe_load(reader.read(path).text, rel)
    except OSError as exc:
        found.problems.append(f"{rel}: not parsed ({exc})")
        return
    except yamlpos.ParseError as exc:
        found.problems.append(f"{rel}: not parsed ({exc.problem})")
        return
    role = found.not_production.get(rel)
    services = tree.get("services") if isinstance(tree, dict) else None
    if tree is None:
        return  # an empty (or comments-only) file: Compose loads it as empty
    if not isinstance(services, dict):
        found.problems.append(f"{rel}: no 'services' mapping")
        return
    env = read_env_file(path.parent / ".env", reader)
    for name, service in services.items():
        if isinstance(service, dict):
            _read_service(str(name), service, rel, env, found, production=role is None)


def _read_service(name: str, service: dict[str, Any], rel: str, env: dict[str, str],
                  found: Discovery, production: bool) -> None:
    image = substitute(str(service.get("image") or ""), env) or ""
    kind = SERVICE_IMAGES.get(image_name(image), ("", frozenset()))[0] if image else ""
    if production and kind in DATABASE_KINDS and (name, DATABASE_KINDS[kind]) not in \
            found.databases:
        found.databases.append((name, DATABASE_KINDS[kind]))
    health = health_url(service.get("healthcheck"), env)
    published = False
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            entry = {k: substitute(v, env) if isinstance(v, str) else v for k, v in entry.items()}
        else:
            entry = substitute(str(entry), env) or ""
        parsed = parse_port(entry)
        if not parsed:
            continue
        published = True
        on_port = health[1] if health and health[0] == (parsed[1] or parsed[0]) else None
        port = PublishedPort(name, parsed[0], parsed[1], rel, image, on_port)
        (found.ports if production else found.other_ports).append(port)
    if production and health and not published:
        found.unpublished.append(Unpublished(name, rel, health[1]))


def _merge_health(found: Discovery) -> None:
    """A healthcheck in the base file applies to the port an overlay publishes."""
    by_service = {u.service: u.health for u in found.unpublished}

    def with_health(ports: list[PublishedPort]) -> list[PublishedPort]:
        return [p if p.health or p.service not in by_service else
                PublishedPort(p.service, p.host_port, p.container_port, p.compose_file,
                              p.image, by_service[p.service]) for p in ports]

    found.ports, found.other_ports = with_health(found.ports), with_health(found.other_ports)
    published = {p.service for p in found.ports}
    found.unpublished = [u for u in found.unpublished if u.service not in published]


def discover(root: Path) -> Discovery:
    root = root.resolve()
    found = Discovery(root)
    inventory = tree.inventory(root)
    found.compose = [f.rel for f in inventory.compose]
    found.dockerfiles = [f.rel for f in inventory.matching(tree.is_dockerfile)]
    roles = scope.Scope(root, inventory.files, read=inventory.text)
    for rel in [*found.compose, *found.dockerfiles]:
        judged = roles.judge(rel)
        if not judged.production:
            found.not_production[rel] = f"{judged.role}: {judged.reason}"
    found.roles = roles.not_production()
    found.units = [f.rel for f in inventory.matching(tree.is_unit)]
    found.workflows = [f.rel for f in inventory.matching(tree.is_workflow)]
    found.docs = [f.rel for f in inventory.matching(tree.is_doc)]
    protos: dict[str, list[str]] = defaultdict(list)
    for f in inventory.files:
        if f.rel.endswith(".proto"):
            protos[f.name].append(f.rel)
    found.protos = [paths for _, paths in sorted(protos.items())]
    for f in inventory.python:
        found.python_files += 1
        if not found.async_code:
            text = inventory.text(f) or ""
            found.async_code = "async def " in text
    for f in inventory.compose:
        _read_compose(f.path, f.rel, found, inventory.reader or Reader(root))
    _merge_health(found)
    return found


def c(value: object) -> str:
    """Text for inside a YAML comment: one line, whatever a file or service is called."""
    return " ".join(str(value).split())


def q(value: str) -> str:
    """A YAML-safe scalar that the loader reads back literally.

    JSON strings are valid YAML flow scalars; ``${VAR}`` gets the loader's escape
    (``$${VAR}``), so a service named ``api${CI_SECRET_TOKEN}`` stays that name.
    """
    return json.dumps(escape_interpolation(str(value)))


def _yaml_item(port: PublishedPort, scheme: str, name: str | None = None) -> str:
    fields = [f"name: {q(name or port.service)}",
              f"url: {q(f'{scheme}://localhost:{port.host_port}')}"]
    if port.health:
        fields.append(f"health: {q(port.health)}")
    return "{" + ", ".join(fields) + "}"


def _where(port: PublishedPort) -> str:
    image = f" (image {c(port.image.rsplit('/', 1)[-1])})" if port.image else ""
    return (f"{c(port.compose_file)}: service {c(port.service)}{image}, "
            f"port {port.host_port}->{port.container_port or port.host_port}")


def endpoints(ports: list[PublishedPort]) -> list[tuple[str, PublishedPort]]:
    """(unique endpoint name, port) for every port that serves HTTP(S)."""
    out: list[tuple[str, PublishedPort]] = []
    names: set[str] = set()
    for port in ports:
        if port.served[0] not in ("http", "https"):
            continue
        name = port.service if port.service not in names else f"{port.service}-{port.host_port}"
        names.add(name)
        out.append((name, port))
    return out


def _endpoints(found: Discovery) -> list[str]:
    lines = ["# Endpoints: HTTP(S) services that production compose files publish, reached on",
             "# localhost. Health paths come from the compose healthchecks; check every URL."]
    proposed = []
    skipped = [(p, *p.served) for p in found.ports if p.served[0] not in ("http", "https")]
    for name, port in endpoints(found.ports):
        kind = port.served[0]
        proposed.append(f"  - name: {q(name)}  # {_where(port)}")
        proposed.append(f"    url: {q(f'{kind}://localhost:{port.host_port}')}")
        proposed.append(f"    health: {q(port.health)}  # from the compose healthcheck"
                        if port.health else "    # health: /health  (no HTTP healthcheck found)")
    lines += ["endpoints:", *proposed] if proposed else \
        ["endpoints: []  # none proposed; to add one, replace [] with entries such as:",
         '#   - {name: api, url: "https://api.example.com", health: /health}']
    for port, kind, protocol in skipped:
        if kind == "other":
            where = " under databases: (below)" if protocol in DATABASE_KINDS else ""
            lines.append(f"# not HTTP: {_where(port)} serves {protocol}: audit it{where} "
                         "with the checks for it, not as an endpoint")
        else:
            lines.append(f"# unknown service: {_where(port)}; if it serves HTTP, add:")
            lines.append(f"#   - {_yaml_item(port, 'http')}")
    for item in found.unpublished:
        lines.append(f"# {c(item.compose_file)}: service {c(item.service)} answers HTTP health "
                     "checks but publishes no port; if a proxy or public URL serves it, add:")
        url = q(f"https://{c(item.service)}.example.com")
        lines.append(f"#   - {{name: {q(item.service)}, url: {url}, health: {q(item.health)}}}")
    by_file: dict[str, list[str]] = defaultdict(list)
    for name, port in endpoints(found.other_ports):
        by_file[port.compose_file].append(f"#   - {_yaml_item(port, port.served[0], name)}")
    for rel, items in by_file.items():
        why = found.not_production.get(rel, "not production")
        lines += [f"# published by {c(rel)}, not production ({c(why)}):", *items]
    return lines


def _list(key: str, items: list[str], why: str, found: Discovery | None = None) -> list[str]:
    """A list of files; those that are not production are commented out with the reason."""
    lines = [f"# {why}"]
    other = found.not_production if found else {}
    kept = [i for i in items if i not in other]
    skipped = [i for i in items if i in other]
    if kept:
        lines += [f"{key}:"] + [f"  - {q(item)}" for item in kept]
    elif not skipped:
        return lines + [f"# {key}: []  (none found)"]
    if skipped:
        lines.append("# Not production, so not audited (uncomment a line to audit it anyway):")
        lines += [f"#   - {q(item)}  # {c(other[item])}" for item in skipped]
    return lines


def _excluded(found: Discovery) -> list[str]:
    """Non-production files of a kind that has no production file: excluded outright,
    since an empty list would let the audit discover (and judge) them."""
    out = []
    for kind in (found.compose, found.dockerfiles):
        if kind and all(rel in found.not_production for rel in kind):
            out += kind
    return out


SCOPE_SHOWN = 40
_ROLE_ORDER = [scope.Role.TEST, scope.Role.DEVELOPMENT, scope.Role.BUILD_ARTEFACT,
               scope.Role.GENERATED, scope.Role.VENDORED, scope.Role.EXAMPLE,
               scope.Role.DOCUMENTATION]


def _scope(found: Discovery) -> list[str]:
    """The roles inferred, as a commented ``scope:`` block that loads when uncommented."""
    lines = ["# Scope: what is production. Checks judge production files; findings in the files",
             "# below are notes at most. Inferred from names, content and what compose files, CI",
             "# workflows, Makefiles and scripts use (docs/configuration.md, \"Scope\"). To pin a",
             "# role, or leave files out of the audit, uncomment and edit (gitignore-style globs):"]
    entries = sorted(found.roles.items(), key=lambda item: (
        _ROLE_ORDER.index(item[1].role), item[0]))
    if not entries:
        return lines + ["# scope: {roles: {}, exclude: []}  (every file looks like production)"]
    lines += ["# scope:", "#   roles:"]
    for pattern, judged in entries[:SCOPE_SHOWN]:
        anchored = pattern if "/" in pattern.rstrip("/") else "/" + pattern
        lines.append(f"#     {q(anchored)}: {judged.role}  # {c(judged.reason)}")
    if len(entries) > SCOPE_SHOWN:
        rest = sorted({str(j.role) for _, j in entries[SCOPE_SHOWN:]})
        lines.append(f"#     # ... and {len(entries) - SCOPE_SHOWN} more ({', '.join(rest)})")
    return lines + ["#   exclude: []"]


def render_config(found: Discovery) -> str:
    """A commented readiness.yaml for what was found (loads with config.load_config)."""
    lines = [
        "# readiness.yaml: the system under audit, written by `pytest-readiness init`.",
        f"# Discovered in this directory ({c(found.root.name)}). Review every entry, then run:",
        "# pytest --readiness. Reference: docs/configuration.md. Secrets: use ${VAR}, never",
        "# literal values.",
        "",
        f"system: {q(found.root.name or 'my system')}",
        "",
        "# Hosts: only those listed are audited. The machine running the audit is one only",
        '# when named: {name: local, connection: "local://"} (or --readiness-local-host).',
        '#   - {name: web1, connection: "ssh://deploy@web1.example.com", roles: [web]}',
        "hosts: []",
        "",
        *_endpoints(found),
        "",
    ]
    lines += ["# Databases: the DSN comes from the environment, never from this file."]
    for service, kind in found.databases:
        var = re.sub(r"[^A-Z0-9]", "_", service.upper()) + "_DSN"
        lines.append(f"# compose service {c(service)} runs {kind}; to audit it, uncomment:")
        lines.append(f'#   - {{name: {q(service)}, dsn: "${{{var}}}"}}')
    lines += ["databases: []", ""]
    code = "async" if found.async_code else "sync"
    excluded = ["tests/fixtures", *_excluded(found)]
    lines += [f"# Code: {found.python_files} Python file(s) found ({code} code).",
              "codebases:", f"  - path: {q('.')}", f"    async: {str(found.async_code).lower()}",
              f"    exclude: [{', '.join(q(e) for e in excluded)}]", ""]
    lines += _list("compose", found.compose,
                   "Compose files (services, ports, restarts): production files only.", found)
    lines += [""] + _list("dockerfiles", found.dockerfiles,
                          "Dockerfiles (base images, USER, HEALTHCHECK).", found)
    lines += [""] + _list("units", found.units, "systemd unit files.") + [""]
    lines += _list("workflows", found.workflows, "CI workflows.") + [""]
    lines.append("# Protos: files with the same name in several places must agree.")
    lines += ["protos:"] + [f"  - [{', '.join(q(p) for p in group)}]" for group in found.protos] \
        if found.protos else ["# protos: []  (none found)"]
    lines += ["", *_scope(found)]
    lines += ["", "# Documentation and runbooks.", "docs:"]
    lines += (["  paths:"] + [f"    - {q(d)}" for d in found.docs]) if found.docs \
        else ["  paths: []"]
    for problem in found.problems:
        lines.insert(4, f"# NOTE: {c(problem)}")
    lines += ["", "# Scoring: category weights and verdict thresholds (the defaults shown).",
              "scoring:", "  thresholds: {ready: 90, conditional: 70}", "",
              "# Waivers: accepted risks, with a reason and an expiry date.",
              '#   - {check: tls.cert-expiry, target: api, reason: "renewal booked", '
              "expires: 2030-01-31}", "waivers: []", ""]
    return "\n".join(lines)
