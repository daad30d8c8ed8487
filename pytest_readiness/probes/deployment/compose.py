"""Docker Compose files: parsed with line numbers, services audited rule by rule.

Anchors, ``<<`` merge keys and ``x-`` extensions are resolved by the YAML
loader; ``${VAR:-default}`` is read with its default (the environment of the
machine running the audit is not the deployment's). Services built from a
Dockerfile in the tree inherit its USER and HEALTHCHECK. Every rule returns
:class:`~yamlpos.Finding` findings with the line of the offending key. No pytest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.redact import mask_url_password, redact
from pytest_readiness.plumbing.yamlpos import (
    LineDict,
    ParseError,
    as_list,
    as_mapping,
    line_of,
    load,
    read_file,
)
from pytest_readiness.probes.deployment import dockerfile as dockerfile_probe
from pytest_readiness.vocabulary import Level

INTERPOLATION = re.compile(r"\$(?:\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|"
                           r"(?P<bare>[A-Za-z_]\w*)|(?P<dollar>\$))")
BOOLEANISH = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", ""})
DATASTORES = ("postgres", "postgis", "mysql", "mariadb", "mongo", "redis", "valkey", "keydb",
              "memcached", "elasticsearch", "opensearch", "rabbitmq", "cassandra", "couchdb",
              "influxdb", "clickhouse", "etcd", "nats")
RESTART_OK = re.compile(r"^(always|unless-stopped|on-failure(:\d+)?)$")
# [host_ip:][host_port:]container_port[/proto]
SHORT_PORT = re.compile(r"^(?:(\[[^\]]+\]|\d+\.\d+\.\d+\.\d+|[\w.-]*\$\{[^}]*\}):)?"
                        r"(?:([\d-]+):)?([\d-]+)(?:/\w+)?$")
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})


def interpolate(value: str) -> tuple[str, list[str]]:
    """``${VAR:-default}`` -> default; ``${VAR}`` stays as is. Returns (text, unset names)."""
    unset: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["name"] or match["bare"]
        if match["op"] and match["op"].lstrip(":") == "-":
            return match["arg"]
        unset.append(name)
        return match.group(0)

    return INTERPOLATION.sub(replace, value), unset


@dataclass
class Service:
    name: str
    line: int
    spec: LineDict
    compose: ComposeFile

    def key_line(self, key: str) -> int:
        return line_of(self.spec, key, self.line)

    @property
    def image(self) -> str | None:
        image = self.spec.get("image")
        return interpolate(str(image))[0] if image is not None else None

    @property
    def build(self) -> tuple[Path, str | None] | None:
        """(Dockerfile path, target) for a service built from the tree."""
        build = self.spec.get("build")
        if build is None:
            return None
        if isinstance(build, str):
            context, name, target = build, "Dockerfile", None
        else:
            build = as_mapping(build)
            context = str(build.get("context", "."))
            name = str(build.get("dockerfile", "Dockerfile"))
            target = build.get("target")
        context = interpolate(context)[0]
        if "://" in context:
            return None
        return (self.compose.directory / context / interpolate(name)[0]), target

    def environment(self) -> list[tuple[str, str | None, int]]:
        """(key, value or None, line) from the list or mapping form."""
        env = self.spec.get("environment")
        out: list[tuple[str, str | None, int]] = []
        if isinstance(env, dict):
            for key, value in env.items():
                out.append((str(key), None if value is None else str(value),
                            line_of(env, key, self.line)))
        elif isinstance(env, list):
            for index, item in enumerate(env):
                key, sep, value = str(item).partition("=")
                out.append((key, value if sep else None, line_of(env, index, self.line)))
        return out

    def depends_on(self) -> list[tuple[str, str | None, int]]:
        """(service, condition or None, line)."""
        deps = self.spec.get("depends_on")
        if isinstance(deps, dict):
            return [(str(k), as_mapping(v).get("condition"), line_of(deps, k, self.line))
                    for k, v in deps.items()]
        if isinstance(deps, list):
            return [(str(d), None, line_of(deps, i, self.line)) for i, d in enumerate(deps)]
        return []


@dataclass
class ComposeFile:
    rel: str
    directory: Path
    data: LineDict
    lines: list[str]
    services: list[Service] = field(default_factory=list)
    _dockerfiles: dict[Path, dockerfile_probe.Dockerfile | None] = field(default_factory=dict)
    # What the compose file's own references (Dockerfiles, env_files) are read through.
    reader: Reader | None = field(default=None, repr=False)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def dockerfile_of(self, service: Service) -> dockerfile_probe.Dockerfile | None:
        """The parsed Dockerfile a service builds from (None if absent or unparseable)."""
        built = service.build
        if built is None:
            return None
        path = built[0]
        if path not in self._dockerfiles:
            try:
                self._dockerfiles[path] = dockerfile_probe.load(path, path.name, self.reader)
            except ParseError:
                self._dockerfiles[path] = None
        return self._dockerfiles[path]


def parse(text: str, rel: str, directory: Path) -> ComposeFile:
    data = load(text, rel)
    if not isinstance(data, LineDict):
        raise ParseError(rel, "expected a mapping at the top level of a compose file")
    services = data.get("services")
    if services is None and "version" not in data:
        raise ParseError(rel, "no 'services' key: not a compose file", data.line)
    cf = ComposeFile(rel, directory, data, text.splitlines())
    if services is not None and not isinstance(services, LineDict):
        raise ParseError(rel, "'services' must be a mapping", line_of(data, "services"))
    for name, spec in (services or {}).items():
        if not isinstance(spec, LineDict):
            raise ParseError(rel, f"service {name!r} must be a mapping", line_of(services, name))
        cf.services.append(Service(str(name), line_of(services, name), spec, cf))
    return cf


def load_file(path: Path, rel: str, reader: Reader | None = None) -> ComposeFile:
    """The compose file at ``path``, read through ``reader`` (plumbing/reader.py; default
    one rooted at its directory) and parsed once per run, however many checks ask."""
    reader = reader or Reader(path.parent)

    def make() -> ComposeFile:
        parsed = parse(read_file(path, rel, reader), rel, path.parent)
        parsed.reader = reader
        return parsed

    try:
        content = reader.read(path)
    except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big
        raise ParseError(rel, str(exc)) from None
    return content.memo(("compose", rel), make)


# --- rules -------------------------------------------------------------------------


def _healthcheck_disabled(spec: Any) -> bool:
    check = as_mapping(spec)
    test = as_list(check.get("test"))
    return bool(check.get("disable")) or (bool(test) and str(test[0]).upper() == "NONE")


def has_healthcheck(service: Service) -> bool:
    if "healthcheck" in service.spec:
        return not _healthcheck_disabled(service.spec["healthcheck"])
    df = service.compose.dockerfile_of(service)
    if df is None:
        return False
    stage = df.stage(service.build[1] if service.build else None)
    check = stage.last("HEALTHCHECK")
    return check is not None and not check.value.strip().upper().startswith("NONE")


def optional(service: Service) -> bool:
    """A service that runs only when a Compose profile is asked for (``profiles:``)."""
    return bool(as_list(service.spec.get("profiles")))


def _optional_level(service: Service) -> Level:
    """Error for a service that always runs, warning for an optional one (``profiles:``)."""
    return Level.WARNING if optional(service) else Level.ERROR


def healthcheck(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        if has_healthcheck(s):
            continue
        line = s.key_line("healthcheck") if "healthcheck" in s.spec else s.line
        said = "healthcheck is disabled" if "healthcheck" in s.spec else "has no healthcheck"
        out.append(Finding("", f"service {s.name} {said}", cf.rel, line,
                           level=_optional_level(s)))
    return out


def depends_on_healthy(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        for dep, condition, line in s.depends_on():
            target = cf.service(dep)
            if target is None:
                out.append(Finding("", f"service {s.name} depends on "
                                   f"{dep}, which is not defined", cf.rel, line))
            elif has_healthcheck(target) and condition not in (
                    "service_healthy", "service_completed_successfully"):
                # No condition: start order only, a gap (warning). A condition written out
                # (service_started) is a stated choice: a note.
                said = f"condition {condition}" if condition else "no condition"
                out.append(Finding("" if condition is None else "stated",
                                   f"service {s.name} waits for {dep} with {said}, not "
                                   "service_healthy (it has a healthcheck)", cf.rel, line,
                                   level=Level.WARNING if condition is None else Level.NOTE))
    return out


def restart_policy(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        restart = s.spec.get("restart")
        policy = as_mapping(as_mapping(s.spec.get("deploy")).get("restart_policy"))
        if restart is not None and RESTART_OK.match(str(restart)):
            continue
        if policy.get("condition") in ("any", "on-failure"):
            continue
        said = f"restart: {restart}" if restart is not None else "no restart policy"
        line = s.key_line("restart") if restart is not None else s.line
        out.append(Finding("", f"service {s.name} has {said}", cf.rel, line,
                           level=_optional_level(s)))
    return out


def resource_limits(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        limits = as_mapping(as_mapping(as_mapping(s.spec.get("deploy")).get("resources"))
                            .get("limits"))
        if not (limits.get("memory") or s.spec.get("mem_limit")):
            out.append(Finding("", f"service {s.name} has no memory limit",
                               cf.rel, s.line))
        elif not (limits.get("cpus") or s.spec.get("cpus")):
            out.append(Finding("", f"service {s.name} has no CPU limit", cf.rel,
                               s.line, level=Level.WARNING))
    return out


def exposure(service: Service) -> str | None:
    """How a service is reachable from outside the host, in words (None: internal): ports
    published on all interfaces, the host's network, or a reverse proxy routing to it
    (traefik/caddy labels)."""
    published = [port for host_ip, port, _ in published_ports(service)
                 if host_ip.strip("[]") in ALL_INTERFACES or host_ip in ALL_INTERFACES]
    if published:
        return f"publishes {', '.join(published[:3])} on all interfaces"
    if str(service.spec.get("network_mode", "")) == "host":
        return "uses the host's network"
    labels = _labels(service)
    proxied = labels.get("traefik.enable", "").lower() == "true" or any(
        k.startswith(("traefik.http.routers.", "traefik.tcp.routers.", "caddy")) for k in labels)
    if proxied and labels.get("traefik.enable", "").lower() != "false":
        return "is routed by a reverse proxy"
    return None


def _labels(service: Service) -> dict[str, str]:
    """A service's labels from the mapping or the ``key=value`` list form."""
    labels = service.spec.get("labels")
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    pairs = (str(item).partition("=") for item in as_list(labels))
    return {key: value for key, _, value in pairs}


def _root_finding(service: Service, said: str, line: int) -> Finding:
    """Root in a service reachable from outside is an error; in an internal one (a worker,
    a batch job) a warning."""
    reached = exposure(service)
    if reached:
        return Finding("", f"service {service.name} runs as {said} and {reached}",
                       service.compose.rel, line)
    return Finding("", f"service {service.name} runs as {said} (internal: no published "
                   "port)", service.compose.rel, line, level=Level.WARNING)


def non_root(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        if "user" in s.spec:
            user = interpolate(str(s.spec["user"]))[0]
            if dockerfile_probe.is_root(user):
                out.append(_root_finding(s, user, s.key_line("user")))
            continue
        df = cf.dockerfile_of(s)
        if df is not None:
            image_user, _ = dockerfile_probe.user_of(df, s.build[1] if s.build else None)
            if dockerfile_probe.is_root(image_user):
                out.append(_root_finding(s, f"root (no user here, none in {df.rel})", s.line))
            continue
        origin = f"image {s.image}" if s.build is None else "its build (Dockerfile unreadable)"
        out.append(Finding("", f"service {s.name} runs as the default user "
                           f"of {origin} (unknown, often root); set user:", cf.rel,
                           s.line, level=Level.WARNING))
    return out


def read_only_rootfs(cf: ComposeFile) -> list[Finding]:
    return [Finding("", f"service {s.name} has a writable root filesystem "
                    "(read_only: true with tmpfs for scratch space)", cf.rel,
                    s.key_line("read_only") if "read_only" in s.spec else s.line)
            for s in cf.services if s.spec.get("read_only") is not True]


def _justified(lines: list[str], line: int) -> bool:
    """A comment of two words or more on the line, or on a comment-only line above."""
    candidates = [lines[line - 1] if 0 < line <= len(lines) else ""]
    if line >= 2 and lines[line - 2].lstrip().startswith("#"):
        candidates.append(lines[line - 2])
    for text in candidates:
        comment = text.partition("#")[2]
        comment = re.sub(r"readiness:\s*ignore\S*", "", comment).strip()
        if len(comment.split()) >= 2:
            return True
    return False


CAPABILITY_RULES = ("not-dropped", "cap-add")
# Capabilities that give a container power over the host (or every capability at once).
DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE",
                            "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT", "BPF", "PERFMON"})


def capabilities(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        dropped = [str(c).upper() for c in as_list(s.spec.get("cap_drop"))]
        if "ALL" not in dropped:
            out.append(Finding("not-dropped", f"service {s.name} does not drop all "
                               "capabilities (cap_drop: [ALL])", cf.rel,
                               s.key_line("cap_drop") if "cap_drop" in s.spec else s.line))
        added = s.spec.get("cap_add")
        for index, cap in enumerate(as_list(added)):
            line = line_of(added, index, s.key_line("cap_add"))
            if not (_justified(cf.lines, line) or _justified(cf.lines, s.key_line("cap_add"))):
                name = str(cap).upper().removeprefix("CAP_")
                dangerous = name in DANGEROUS_CAPS
                out.append(Finding("cap-add", f"service {s.name} adds {cap} without a "
                                   "justification comment"
                                   + (" (power over the host)" if dangerous else ""),
                                   cf.rel, line,
                                   level=Level.ERROR if dangerous else Level.WARNING))
    return out


def no_new_privileges(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        options = [str(o).replace("=", ":").replace(" ", "") for o in
                   as_list(s.spec.get("security_opt"))]
        if not any(o in ("no-new-privileges", "no-new-privileges:true") for o in options):
            out.append(Finding("", f"service {s.name} lacks "
                               "security_opt: [no-new-privileges:true]", cf.rel, s.line))
    return out


def secret_value_problem(key: str, value: str | None) -> str | None:
    """Why an environment value is a literal credential (redacted), or None."""
    if value is None:
        return None
    password_in_url = mask_url_password(value) != value and "${" not in value.split("@")[0]
    if password_in_url:
        return f"{key} holds a URL with a literal password ({mask_url_password(value)})"
    if not is_secret_name(key, anywhere=True):
        return None
    resolved, _ = interpolate(value)
    if value.strip().startswith("${") and resolved == value:
        return None  # ${VAR} with no default: comes from the deployment's environment
    if resolved.strip().lower() in BOOLEANISH:
        return None
    if resolved != value:
        return f"{key} has a literal default credential ({redact(resolved)})"
    return f"{key} is a literal credential ({redact(value)})"


def literal_secrets(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        for key, value, line in s.environment():
            problem = secret_value_problem(key, value)
            if problem:
                out.append(Finding("", f"service {s.name}: {problem}",
                                   cf.rel, line))
    return out


def published_ports(service: Service) -> list[tuple[str, str, int]]:
    """(host ip, container port, line) of every published port."""
    ports = service.spec.get("ports")
    out = []
    for index, port in enumerate(as_list(ports)):
        line = line_of(ports, index, service.line)
        if isinstance(port, dict):
            if port.get("published") is None:
                continue
            out.append((str(port.get("host_ip", "")), str(port.get("target", "")), line))
            continue
        text = interpolate(str(port))[0]
        match = SHORT_PORT.match(text)
        if match:
            out.append((match[1] or "", match[3], line))
    return out


def datastore_kind(image: str | None) -> str | None:
    if not image:
        return None
    name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0].lower()
    return next((kind for kind in DATASTORES if name.startswith(kind)), None)


def has_auth(service: Service, kind: str) -> bool | None:
    env = {k: (v or "") for k, v, _ in service.environment()}
    command = " ".join(str(c) for c in as_list(service.spec.get("command")))
    if kind in ("postgres", "postgis"):
        return env.get("POSTGRES_HOST_AUTH_METHOD", "").lower() != "trust"
    if kind in ("mysql", "mariadb"):
        return not any(k.endswith("ALLOW_EMPTY_PASSWORD") or k.endswith("ALLOW_EMPTY_ROOT_PASSWORD")
                       for k in env)
    if kind == "mongo":
        return "MONGO_INITDB_ROOT_PASSWORD" in env or "MONGO_INITDB_ROOT_PASSWORD_FILE" in env
    if kind in ("redis", "valkey", "keydb"):
        return "--requirepass" in command or "--aclfile" in command or "REDIS_PASSWORD" in env
    if kind == "memcached":
        return " -S" in f" {command}"
    if kind in ("elasticsearch", "opensearch"):
        return not any(v.lower() == "false" for k, v in env.items() if "security" in k.lower())
    return None


def exposed_datastores(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        kind = datastore_kind(s.image)
        if kind is None:
            continue
        for host_ip, container_port, line in published_ports(s):
            if host_ip.strip("[]") not in ALL_INTERFACES and host_ip not in ALL_INTERFACES:
                continue
            auth = has_auth(s, kind)
            if auth:
                out.append(Finding("",
                                   f"{kind} service {s.name} publishes {container_port} on all "
                                   "interfaces (auth on; bind to 127.0.0.1 or drop the port)",
                                   cf.rel, line, level=Level.WARNING))
            else:
                said = "without authentication" if auth is False else "(authentication unknown)"
                out.append(Finding("",
                                   f"{kind} service {s.name} publishes {container_port} on all "
                                   f"interfaces {said}", cf.rel, line))
    return out


def bind_sources(service: Service) -> list[tuple[str, int]]:
    """(source, line) of bind mounts whose source is a path relative to the compose file."""
    volumes = service.spec.get("volumes")
    out = []
    for index, volume in enumerate(as_list(volumes)):
        line = line_of(volumes, index, service.line)
        if isinstance(volume, dict):
            if volume.get("type") == "bind" and volume.get("source"):
                out.append((interpolate(str(volume["source"]))[0], line))
            continue
        source = interpolate(str(volume))[0].split(":")[0]
        if source.startswith((".", "/")) or source.startswith("~"):
            out.append((source, line))
    return out


def bind_mounts(cf: ComposeFile) -> list[Finding]:
    """Relative bind-mount sources, env_files and file secrets that are not in the tree."""
    out = []
    for s in cf.services:
        for source, line in bind_sources(s):
            if not source.startswith(".") or "${" in source:
                continue  # host paths (/etc/..., ~/...) are not part of the repository
            if not (cf.directory / source).exists():
                out.append(Finding("", f"service {s.name} mounts {source}, "
                                   "which does not exist", cf.rel, line))
        env_files = s.spec.get("env_file")
        for index, item in enumerate(as_list(env_files)):
            path = str(item.get("path", "")) if isinstance(item, dict) else str(item)
            required = not (isinstance(item, dict) and item.get("required") is False)
            if required and path and "${" not in path and not (cf.directory / path).exists():
                out.append(Finding("", f"service {s.name} reads env_file "
                                   f"{path}, which does not exist", cf.rel,
                                   line_of(env_files, index, s.key_line("env_file"))))
    secrets = as_mapping(cf.data.get("secrets"))
    for name, spec in secrets.items():
        file = as_mapping(spec).get("file")
        if file and "${" not in str(file) and not (cf.directory / str(file)).exists():
            out.append(Finding("", f"secret {name} reads {file}, which does "
                               "not exist", cf.rel, line_of(secrets, name)))
    return out


IMAGE_PIN_RULES = ("", "digest")


def images_pinned(cf: ComposeFile) -> list[Finding]:
    out = []
    for s in cf.services:
        if s.image is None or s.build is not None:
            continue  # a built service's image: is the name it is tagged with
        raw = str(s.spec["image"])
        problem = dockerfile_probe.image_pin_problem(s.image)
        if problem is None and interpolate(raw)[1]:
            problem = (Level.WARNING, f"image {raw} depends on an unset variable: tag unknown")
        if problem:
            out.append(Finding("", f"service {s.name}: {problem[1]}", cf.rel,
                               s.key_line("image"), level=problem[0]))
        elif not dockerfile_probe.digest_pinned(s.image):
            out.append(Finding("digest", f"service {s.name}: image {s.image} is pinned by "
                               "tag, not by digest", cf.rel, s.key_line("image")))
    return out


# The level each rule sets, and when (the catalogue lists them; profiles.py re-grades).
E, W, N = Level.ERROR, Level.WARNING, Level.NOTE
LEVELS: dict[str, tuple[RuleLevel, ...]] = {
    "healthcheck": (RuleLevel("", E, "a service that always runs has no healthcheck (or it is "
                                     "disabled)"),
                    RuleLevel("", W, "an optional service (profiles:) has none")),
    "depends-on-healthy": (
        RuleLevel("", E, "a dependency is not defined in the file"),
        RuleLevel("", W, "depends_on without a condition on a service that has a healthcheck"),
        RuleLevel("stated", N, "a condition written out (service_started): a stated choice")),
    "restart-policy": (RuleLevel("", E, "a service that always runs has no restart policy"),
                       RuleLevel("", W, "an optional service (profiles:) has none")),
    "resource-limits": (RuleLevel("", E, "no memory limit"),
                        RuleLevel("", W, "a memory limit but no CPU limit")),
    "non-root": (RuleLevel("", E, "runs as root and is reachable from outside (ports on all "
                                  "interfaces, host network, reverse-proxy labels)"),
                 RuleLevel("", W, "runs as root, internal (no published port)"),
                 RuleLevel("", W, "runs as an image's default user that is not known")),
    "read-only-rootfs": (RuleLevel("", E, "the root filesystem is writable (hardening: baseline "
                                          "note)"),),
    "capabilities": (
        RuleLevel("not-dropped", E, "cap_drop is not [ALL] (hardening: baseline note)"),
        RuleLevel("cap-add", E, "cap_add of a capability with power over the host (SYS_ADMIN, "
                                "NET_ADMIN, SYS_PTRACE, ALL, ...) without a comment saying why"),
        RuleLevel("cap-add", W, "any other cap_add without a comment saying why")),
    "no-new-privileges": (RuleLevel("", E, "no security_opt no-new-privileges (hardening: "
                                           "baseline note)"),),
    "exposed-datastores": (
        RuleLevel("", E, "a database or cache published on all interfaces, authentication off "
                         "or unknown"),
        RuleLevel("", W, "the same with authentication on")),
    "images-pinned": (RuleLevel("", E, "an image without a tag, or :latest"),
                      RuleLevel("", W, "the tag comes from a variable that is not set"),
                      RuleLevel("digest", E, "pinned by tag, not by digest (hardening: "
                                             "baseline note)")),
}


# Every rule, by its check: ``compose.<name>`` is the check id (the suite calls the rule).
RULES: dict[str, Callable[[ComposeFile], list[Finding]]] = {
    rule.__name__.replace("_", "-"): rule for rule in (
        healthcheck, depends_on_healthy, restart_policy, resource_limits, non_root,
        read_only_rootfs, capabilities, no_new_privileges, literal_secrets, exposed_datastores,
        images_pinned, bind_mounts)
}


def summary(cf: ComposeFile) -> dict[str, Any]:
    return {"services": [s.name for s in cf.services],
            "built": [s.name for s in cf.services if s.build is not None]}

