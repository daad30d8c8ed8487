"""Docker Compose projects audited rule by rule, on the model Compose itself builds.

A :class:`ComposeProject` is one set of files (a directory's default files, or a
named ``-f`` variant: compose_spec/variants.py) loaded as Compose loads it
(compose_spec/project.py): overlays merged, ``extends`` and ``include`` resolved,
``.env`` interpolation, profiles. Every rule walks the merged services and returns
:class:`Finding` findings located where the fact comes from: the file and line that
set the offending value (an overlay, an env_file), or the service's declaration in
the base file when a key is missing. Services built from a Dockerfile in the tree
inherit its USER and HEALTHCHECK (and its base image's user: images.py); images
from the registry run as images.py's table says, or are unknown. No pytest.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.reader import Reader as FileReader
from pytest_readiness.plumbing.redact import is_placeholder, mask_url_password, redact
from pytest_readiness.plumbing.yamlpos import ParseError, as_list, as_mapping, line_of
from pytest_readiness.probes.deployment import dockerfile as dockerfile_probe
from pytest_readiness.probes.deployment import images
from pytest_readiness.probes.deployment.compose_spec.interpolation import (
    env_entries,
    interpolate,
)
from pytest_readiness.probes.deployment.compose_spec.merge import (
    SourcedDict,
    key_value_mapping,
    where,
)
from pytest_readiness.probes.deployment.compose_spec.project import (
    Project,
    Reader,
    join,
    load_project,
    read_in_tree,
)
from pytest_readiness.vocabulary import Level

BOOLEANISH = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", ""})
DATASTORES = ("postgres", "postgis", "mysql", "mariadb", "mongo", "redis", "valkey", "keydb",
              "memcached", "elasticsearch", "opensearch", "rabbitmq", "cassandra", "couchdb",
              "influxdb", "clickhouse", "etcd", "nats")
# Web UIs that administer a database or the Docker host: never public without auth.
ADMIN_UIS = {"adminer": "Adminer", "phpmyadmin": "phpMyAdmin", "pgadmin4": "pgAdmin",
             "pgadmin": "pgAdmin", "mongo-express": "mongo-express",
             "redis-commander": "Redis Commander", "portainer-ce": "Portainer",
             "portainer": "Portainer"}
# Passwords that are no protection (plus anything plumbing/redact.py calls a placeholder).
WEAK_PASSWORDS = frozenset({"changeit", "changeme", "changethis", "change-me", "postgres",
                            "password", "secret", "admin", "root", "mysql", "redis", "guest",
                            "test", "example", "default", "pass", "123456", "12345678"})
RESTART_OK = re.compile(r"^(always|unless-stopped|on-failure(:\d+)?)$")
# [host_ip:][host_port:]container_port[/proto]
SHORT_PORT = re.compile(r"^(?:(\[[^\]]+\]|\d+\.\d+\.\d+\.\d+|[\w.-]*\$\{[^}]*\}):)?"
                        r"(?:([\d-]+):)?([\d-]+)(?:/\w+)?$")
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})
# Host paths whose mount gives a container the host: exact paths and their subpaths.
HOST_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
                "/var/run/containerd/containerd.sock", "/run/podman/podman.sock",
                "/var/run/crio/crio.sock")
HOST_TREES = ("/proc", "/sys", "/var/lib/docker", "/var/lib/containerd", "/dev", "/boot",
              "/etc")
DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO",
                            "DAC_READ_SEARCH", "NET_ADMIN", "BPF", "SYS_BOOT", "MAC_ADMIN"})
FILE_TARGET = re.compile(r"\.[A-Za-z0-9]{1,8}$")  # a mount target that names a file


@dataclass(frozen=True)
class EnvSetting:
    """One variable a service's files set: its value, where it is written, and its text as
    written (before interpolation; None for a bare ``KEY``)."""

    key: str
    value: str
    file: str
    line: int
    written: str | None
    origin: str  # "environment" or "env_file"
    interpolated: bool = True  # False: a single-quoted env_file value, taken literally


@dataclass
class Service:
    """One merged service of a project."""

    name: str
    spec: SourcedDict
    project: ComposeProject
    declared: tuple[str, int] = ("", 0)  # the file and line of the service's name

    @property
    def file(self) -> str:
        return self.declared[0] or self.spec.file

    @property
    def line(self) -> int:
        return self.declared[1] or self.spec.line

    def where(self, key: str) -> tuple[str, int]:
        """(file, line) that sets ``key``, else where the service is declared."""
        return where(self.spec, key) if key in self.spec else (self.file, self.line)

    def finding(self, message: str, key: str | None = None, level: str = Level.ERROR,
                rule: str = "", at: tuple[str, int] | None = None) -> Finding:
        """A finding about this service, at ``key`` (or ``at``); an optional service (one
        that only starts with a profile nobody enables, or that only an add-on file of the
        set defines) is at most a warning."""
        file, line = at or (self.where(key) if key else (self.file, self.line))
        optional = self.optional
        if optional and level == Level.ERROR:
            level = Level.WARNING
            message += f" ({optional})"
        return Finding(rule, message, file, line, level=level)

    @property
    def optional(self) -> str | None:
        """Why the service does not start with the project's base set, or None."""
        model = self.project.model
        profiles = model.optional_profiles(self.spec)
        if profiles:
            return f"profile {', '.join(profiles)}: not started by default"
        addons = model.addon_only(self.name)
        if addons:
            return (f"only in add-on {', '.join(addons)}: the tree also runs the project "
                    "without it")
        return None

    @property
    def directory(self) -> str:
        return self.project.model.directory_of(self.name)

    @property
    def replicas(self) -> tuple[int, str]:
        """How many containers Compose starts (``deploy.replicas``, else ``scale``; 1 when
        neither is a number) and the key that says it ("" for the default)."""
        deploy = self.spec.get("deploy")
        for key, value in (("deploy.replicas", deploy.get("replicas") if isinstance(
                deploy, dict) else None), ("scale", self.spec.get("scale"))):
            if value is not None and str(value).isdigit():
                return int(str(value)), key
        return 1, ""

    @property
    def command_line(self) -> str:
        """``entrypoint`` and ``command`` as one line of words (what the container runs,
        when the service says it)."""
        return " ".join(str(c) for key in ("entrypoint", "command")
                        for c in as_list(self.spec.get(key)))

    @property
    def image(self) -> str | None:
        image = self.spec.get("image")
        return str(image) if image is not None else None

    @property
    def build(self) -> tuple[str, str | None] | None:
        """(Dockerfile path from the audited root, target) for a service built in the tree."""
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
        if "://" in context or "${" in context or "${" in name:
            return None
        folder = join(self.directory, context)
        if folder is None:
            return None
        rel = join(folder, name)
        return (rel, str(target) if target else None) if rel is not None else None

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

    def env_values(self) -> dict[str, str]:
        """The container's environment as far as the tree says: env_files, then
        ``environment:`` (which wins)."""
        return {key: value for key, (value, _, _) in self.env_sources().items()}

    def env_sources(self) -> dict[str, tuple[str, str, int]]:
        """Each variable of the container's environment -> (value, file, line) where the
        tree sets it: an ``env_file:`` line, or the ``environment:`` entry (which wins)."""
        return {e.key: (e.value, e.file, e.line) for e in self.env_settings()}

    def env_settings(self) -> list[EnvSetting]:
        """Every variable the service's files set, in the order Compose applies them:
        the ``env_file:`` lines, then the ``environment:`` entries (which win), each with
        where it is written and its text before interpolation."""
        out: list[EnvSetting] = []
        for rel, _ in self.env_files():
            text = self.project.read(rel) if rel else None
            if text is not None and rel:
                out += [EnvSetting(e.key, e.value or "", rel, e.line, e.value, "env_file",
                                   not e.literal) for e in env_entries(text)]
        env = self.spec.get("environment")
        for key, value, line in self.environment():
            file = (where(env, key)[0] if isinstance(env, dict) else None) or \
                self.where("environment")[0]
            written = self.project.model.as_written(file, line, key)
            out.append(EnvSetting(key, value or "", file, line,
                                  written if written is not None else value, "environment"))
        return out

    def env_files(self) -> list[tuple[str | None, int]]:
        """(path from the audited root or None, line) of each ``env_file:`` entry."""
        files = self.spec.get("env_file")
        out = []
        for index, item in enumerate(as_list(files)):
            path = str(item.get("path", "")) if isinstance(item, dict) else str(item)
            out.append((join(self.directory, path) if "${" not in path else None,
                        line_of(files, index, self.line)))
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
class ComposeProject:
    """A loaded project and what the rules need around it."""

    name: str
    model: Project
    root: Path
    read: Reader
    services: list[Service] = field(default_factory=list)
    _dockerfiles: dict[str, dockerfile_probe.Dockerfile | None] = field(default_factory=dict)
    # The audit's bounded reader the project's files are read through (plumbing/reader.py).
    files: FileReader | None = field(default=None, repr=False)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def lines(self, rel: str) -> list[str]:
        return self.model.lines(rel) or (self.read(rel) or "").splitlines()

    def dockerfile_of(self, service: Service) -> dockerfile_probe.Dockerfile | None:
        """The parsed Dockerfile a service builds from (None if absent or unparseable)."""
        built = service.build
        if built is None:
            return None
        rel = built[0]
        if rel not in self._dockerfiles:
            text = self.read(rel)
            try:
                self._dockerfiles[rel] = dockerfile_probe.parse(text, rel) if text else None
            except ParseError:
                self._dockerfiles[rel] = None
        return self._dockerfiles[rel]


def project(name: str, model: Project, root: Path, read: Reader,
            files: FileReader | None = None) -> ComposeProject:
    built = ComposeProject(name, model, root, read, files=files)
    services = model.data.get("services")
    built.services = [Service(n, spec, built, where(services, n)) for n, spec in
                      model.services.items()]
    return built


def load(root: Path, files: tuple[str, ...] | list[str], env_files: tuple[str, ...] = (),
         profiles: tuple[str, ...] = (), addons: tuple[str, ...] = ()) -> ComposeProject:
    """The project of ``files`` (paths under ``root``), loaded as Compose loads it."""
    read = read_in_tree(root)
    model = load_project(list(files), read, env_files=env_files, profiles=profiles,
                         addons=addons)
    return project("+".join(files), model, root, read)


def strict(cp: ComposeProject) -> ComposeProject:
    """``cp``, or ParseError (file, line, why) when Compose would refuse it."""
    if cp.model.invalid:
        first = cp.model.invalid[0]
        raise ParseError(first.file, first.message, first.line or None)
    return cp


def load_file(path: Path, rel: str) -> ComposeProject:
    """One compose file as its own project; ParseError when Compose would refuse it."""
    root = path.parents[rel.count("/")] if rel.count("/") < len(path.parents) else path.parent
    return strict(load(root, [rel]))


def parse(text: str, rel: str, directory: Path) -> ComposeProject:
    """A compose file's text as a project (files it names are read under ``directory``);
    ParseError when Compose would refuse it."""
    tree_read = read_in_tree(directory)

    def read(name: str) -> str | None:
        return text if name == rel else tree_read(name)
    return strict(project(rel, load_project([rel], read), directory, read))


# --- rules -------------------------------------------------------------------------


def _healthcheck_disabled(spec: Any) -> bool:
    check = as_mapping(spec)
    test = as_list(check.get("test"))
    return bool(check.get("disable")) or (bool(test) and str(test[0]).upper() == "NONE")


def has_healthcheck(service: Service) -> bool:
    if "healthcheck" in service.spec:
        return not _healthcheck_disabled(service.spec["healthcheck"])
    df = service.project.dockerfile_of(service)
    if df is None:
        return False
    stage = df.stage(service.build[1] if service.build else None)
    check = stage.last("HEALTHCHECK")
    return check is not None and not check.value.strip().upper().startswith("NONE")


def healthcheck(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        if has_healthcheck(s):
            continue
        disabled = "healthcheck" in s.spec
        said = "healthcheck is disabled" if disabled else "has no healthcheck"
        out.append(s.finding(f"service {s.name} {said}", "healthcheck" if disabled else None))
    return out


def depends_on_healthy(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        for dep, condition, line in s.depends_on():
            at = (where(s.spec.get("depends_on"), dep)[0] or s.file, line)
            target = cp.service(dep)
            if target is None:
                out.append(s.finding(f"service {s.name} depends on {dep}, which is not "
                                     "defined in this project", at=at))
            elif has_healthcheck(target) and condition not in (
                    "service_healthy", "service_completed_successfully"):
                # No condition: start order only, a gap (warning). A condition written out
                # (service_started) is a stated choice: a note.
                said = f"condition {condition}" if condition else "no condition"
                out.append(s.finding(f"service {s.name} waits for {dep} with {said}, not "
                                     "service_healthy (it has a healthcheck)", at=at,
                                     rule="" if condition is None else "stated",
                                     level=Level.WARNING if condition is None else Level.NOTE))
    return out


def restart_policy(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        restart = s.spec.get("restart")
        policy = as_mapping(as_mapping(s.spec.get("deploy")).get("restart_policy"))
        if restart is not None and RESTART_OK.match(str(restart)):
            continue
        if policy.get("condition") in ("any", "on-failure"):
            continue
        said = f"restart: {restart}" if restart is not None else "no restart policy"
        out.append(s.finding(f"service {s.name} has {said}",
                             "restart" if restart is not None else None))
    return out


def resource_limits(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        limits = as_mapping(as_mapping(as_mapping(s.spec.get("deploy")).get("resources"))
                            .get("limits"))
        if not (limits.get("memory") or s.spec.get("mem_limit")):
            out.append(s.finding(f"service {s.name} has no memory limit"))
        elif not (limits.get("cpus") or s.spec.get("cpus")):
            # CPU is compressible: a service without a cap slows its neighbours, never
            # kills them; CIS Docker 5.11 and PSS leave it to hardening (the profile decides).
            out.append(s.finding(f"service {s.name} has no CPU limit", level=Level.WARNING,
                                 rule="cpu"))
    return out


def runtime_user(service: Service) -> tuple[bool | None, str, str | None]:
    """(runs as root: True/False/None unknown, why, key that decides) of a service."""
    if "user" in service.spec:
        user = str(service.spec["user"])
        if "${" in user:
            return None, f"user {user} comes from the deployment", "user"
        return dockerfile_probe.is_root(user), f"user: {user}", "user"
    df = service.project.dockerfile_of(service)
    if df is not None:
        df_user, why = dockerfile_probe.runtime_user(df, service.build[1] if service.build
                                                     else None)
        return df_user.runs_as_root, why, None
    if service.build is not None:
        return None, "its Dockerfile cannot be read", None
    if "entrypoint" in service.spec:
        image_user = images.user_of(service.image)
        if image_user.kind == images.DROPS_ROOT:
            return None, f"image {service.image} drops root in an entrypoint this service " \
                         "replaces", None
    image_user = images.user_of(service.image)
    return image_user.runs_as_root, image_user.why, None


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


def non_root(cp: ComposeProject) -> list[Finding]:
    """Root in a service reachable from outside is an error; in an internal one (a worker,
    a batch job) hardening (rule ``internal``: a note under baseline, as the Pod Security
    Standards ask non-root only of restricted; the image's own ``USER`` is
    dockerfile.non-root-user's); an image's unknown default user a warning."""
    out = []
    for s in cp.services:
        root, why, key = runtime_user(s)
        if root is True:
            reached = exposure(s)
            if reached:
                out.append(s.finding(f"service {s.name} runs as root ({why}) and {reached}",
                                     key))
            else:
                out.append(s.finding(f"service {s.name} runs as root ({why}; internal: no "
                                     "published port)", key, rule="internal"))
        elif root is None:
            out.append(s.finding(f"service {s.name} runs as an unknown user ({why}); "
                                 "set user:", key, level=Level.WARNING))
    return out


def read_only_rootfs(cp: ComposeProject) -> list[Finding]:
    return [s.finding(f"service {s.name} has a writable root filesystem "
                      "(read_only: true with tmpfs for scratch space)",
                      "read_only" if "read_only" in s.spec else None)
            for s in cp.services if s.spec.get("read_only") is not True]


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


def capabilities(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        dropped = [str(c).upper() for c in as_list(s.spec.get("cap_drop"))]
        if "ALL" not in dropped:
            out.append(s.finding(f"service {s.name} does not drop all capabilities "
                                 "(cap_drop: [ALL])", "cap_drop" if "cap_drop" in s.spec
                                 else None, rule="not-dropped"))
        added = s.spec.get("cap_add")
        key_file, key_line = s.where("cap_add")
        for index, cap in enumerate(as_list(added)):
            file, line = where(added, index, (key_file, key_line))
            lines = cp.lines(file)
            if not (_justified(lines, line) or _justified(cp.lines(key_file), key_line)):
                dangerous = str(cap).upper().removeprefix("CAP_") in DANGEROUS_CAPS
                out.append(s.finding(f"service {s.name} adds {cap} without a justification "
                                     "comment" + (" (power over the host)" if dangerous else ""),
                                     at=(file, line), rule="cap-add",
                                     level=Level.ERROR if dangerous else Level.WARNING))
    return out


def no_new_privileges(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        options = [str(o).replace("=", ":").replace(" ", "") for o in
                   as_list(s.spec.get("security_opt"))]
        if not any(o in ("no-new-privileges", "no-new-privileges:true") for o in options):
            out.append(s.finding(f"service {s.name} lacks security_opt: "
                                 "[no-new-privileges:true]"))
    return out


def secret_value_problem(key: str, value: str | None, literal: bool = False) -> str | None:
    """Why an environment value is a literal credential (redacted), or None. ``value``
    is as written in the file, before interpolation (``literal``: a single-quoted env
    file value, which Compose does not interpolate)."""
    if value is None:
        return None
    password_in_url = mask_url_password(value) != value and "${" not in value.split("@")[0]
    if password_in_url:
        return f"{key} holds a URL with a literal password ({mask_url_password(value)})"
    if not is_secret_name(key, anywhere=True):
        return None
    resolved = interpolate(value, {}) if not literal else None
    if resolved is not None and (resolved.unresolved or resolved.required) \
            and not resolved.defaulted:
        return None  # ${VAR}: comes from the .env or the deployment's environment
    text = resolved.text if resolved is not None else value
    if text.strip().lower() in BOOLEANISH or text.startswith("/"):
        return None  # a flag, or a path to a file holding the secret
    if resolved is not None and resolved.defaulted:
        return f"{key} has a literal default credential ({redact(text)})"
    return f"{key} is a literal credential ({redact(text)})"


def literal_secrets(cp: ComposeProject) -> list[Finding]:
    """Credentials written into a service: ``environment:`` values as written (before
    ``.env`` interpolation: a ``${VAR}`` is the deployment's to set) and the contents
    of its ``env_file:``s, which reach the container as they are."""
    out = []
    for s in cp.services:
        env = s.spec.get("environment")
        for key, value, line in s.environment():
            file = where(env, key)[0] if isinstance(env, dict) else s.where("environment")[0]
            written = cp.model.as_written(file, line, key)
            problem = secret_value_problem(key, written if written is not None else value)
            if problem:
                out.append(s.finding(f"service {s.name}: {problem}", at=(file, line)))
        for rel, _ in s.env_files():
            text = cp.read(rel) if rel else None
            for entry in env_entries(text or ""):
                problem = secret_value_problem(entry.key, entry.value, entry.literal) \
                    if entry.value else None
                if problem:
                    out.append(s.finding(f"service {s.name} (env_file {rel}): {problem}",
                                         at=(rel or s.file, entry.line)))
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
        match = SHORT_PORT.match(str(port))
        if match:
            out.append((match[1] or "", match[3], line))
    return out


def image_name(image: str | None) -> str:
    return images.reference(image)[0].rsplit("/", 1)[-1] if image else ""


def datastore_kind(image: str | None) -> str | None:
    name = image_name(image)
    return next((kind for kind in DATASTORES if name.startswith(kind)), None) if name else None


def weak_password(value: str) -> bool:
    value = value.strip()
    return value.lower() in WEAK_PASSWORDS or len(value) < 8 or is_placeholder(value)


def has_auth(service: Service, kind: str) -> bool | None:
    """Whether the datastore asks for a password worth the name (None: cannot tell)."""
    env = service.env_values()
    command = " ".join(str(c) for c in as_list(service.spec.get("command")))

    def strong(*keys: str) -> bool | None:
        values = [env[k] for k in keys if k in env]
        if any(k + "_FILE" in env for k in keys):
            return True
        if not values:
            return None
        return not any(weak_password(v) for v in values if "${" not in v)
    if kind in ("postgres", "postgis"):
        if env.get("POSTGRES_HOST_AUTH_METHOD", "").lower() == "trust":
            return False
        said = strong("POSTGRES_PASSWORD")
        return True if said is None else said  # the image refuses to start without one
    if kind in ("mysql", "mariadb"):
        if any(k.endswith(("ALLOW_EMPTY_PASSWORD", "ALLOW_EMPTY_ROOT_PASSWORD")) for k in env):
            return False
        said = strong("MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD", "MYSQL_PASSWORD",
                      "MARIADB_PASSWORD")
        return True if said is None else said  # the image refuses to start without one
    if kind == "mongo":
        return strong("MONGO_INITDB_ROOT_PASSWORD") or False
    if kind in ("redis", "valkey", "keydb"):
        if "--aclfile" in command:
            return True
        password = re.search(r"--requirepass\s+(\S+)", command)
        if password:
            return "${" in password[1] or not weak_password(password[1].strip("'\""))
        return strong("REDIS_PASSWORD", "VALKEY_PASSWORD") or False
    if kind == "memcached":
        return " -S" in f" {command}"
    if kind in ("elasticsearch", "opensearch"):
        return not any(v.lower() == "false" for k, v in env.items() if "security" in k.lower())
    return None


def _exposed(service: Service) -> list[tuple[str, int]]:
    """(container port, line) published on all interfaces."""
    return [(port, line) for host_ip, port, line in published_ports(service)
            if host_ip.strip("[]") in ALL_INTERFACES or host_ip in ALL_INTERFACES]


def exposed_datastores(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        kind = datastore_kind(s.image)
        if kind is None:
            continue
        for container_port, line in _exposed(s):
            at = (where(s.spec.get("ports"), 0)[0] or s.file, line)
            auth = has_auth(s, kind)
            if auth:
                out.append(s.finding(f"{kind} service {s.name} publishes {container_port} on "
                                     "all interfaces (auth on; bind to 127.0.0.1 or drop the "
                                     "port)", level=Level.WARNING, at=at))
            else:
                said = "without authentication (or with a weak password)" if auth is False \
                    else "(authentication unknown)"
                out.append(s.finding(f"{kind} service {s.name} publishes {container_port} on "
                                     f"all interfaces {said}", at=at))
    return out + exposed_admin(cp)


def admin_ui(service: Service) -> str | None:
    """The admin UI a service runs (adminer, phpMyAdmin, ..., traefik's insecure API)."""
    name = image_name(service.image)
    if name in ADMIN_UIS:
        return ADMIN_UIS[name]
    command = " ".join(str(c) for c in as_list(service.spec.get("command")))
    if name == "traefik" and re.search(r"--api\.insecure(?:=true)?(?:\s|$)", command + " "):
        return "the Traefik dashboard (--api.insecure)"
    return None


def proxy_routes(service: Service) -> list[tuple[str, str, str, int]]:
    """(router, rule, label, line) of reverse-proxy labels that route a host to it."""
    labels = key_value_mapping(service.spec.get("labels"))
    pairs = [(str(k), str(v or ""), line_of(labels, k, service.line))
             for k, v in (labels.items() if isinstance(labels, dict) else [])]
    if any(k == "traefik.enable" and v.lower() == "false" for k, v, _ in pairs):
        return []
    out = []
    for key, value, line in pairs:
        traefik = re.match(r"traefik\.http\.routers\.([^.]+)\.rule$", key)
        if traefik and "Host" in value:
            out.append((traefik[1], value, key, line))
        elif re.match(r"caddy(_\d+)?$", key) and value:
            out.append(("caddy", value, key, line))
    return out


def exposed_admin(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        ui = admin_ui(s)
        if ui is None:
            continue
        for port, line in _exposed(s):
            out.append(s.finding(f"service {s.name} publishes {ui} (port {port}) on all "
                                 "interfaces", rule="admin-ui",
                                 at=(where(s.spec.get("ports"), 0)[0] or s.file, line)))
        labels = key_value_mapping(s.spec.get("labels"))
        guarded = any("middlewares" in str(k) and re.search(r"auth", str(v), re.I)
                      for k, v in (labels.items() if isinstance(labels, dict) else []))
        for router, rule, label, line in proxy_routes(s):
            level = Level.WARNING if guarded else Level.ERROR
            extra = " behind an auth middleware" if guarded else ""
            out.append(s.finding(f"service {s.name} routes {ui} to a public host{extra} "
                                 f"(router {router}: {rule[:80]})", rule="admin-ui",
                                 level=level, at=(where(labels, label)[0] or s.file, line)))
    return out


def volume_source(volume: Any) -> tuple[str | None, str, bool]:
    """(source, target, long syntax) of a volume entry; source None for named/anonymous."""
    if isinstance(volume, dict):
        if volume.get("type") not in ("bind", None) or not volume.get("source"):
            return None, str(volume.get("target", "")), True
        return str(volume["source"]), str(volume.get("target", "")), True
    parts = str(volume).split(":")
    if len(parts) < 2:
        return None, parts[0], False
    source = parts[0]
    is_path = source.startswith((".", "/", "~")) or "/" in source
    return (source if is_path else None), parts[1], False


def host_access(cp: ComposeProject) -> list[Finding]:
    """What gives a container the host: the Docker socket (even read-only), ``/``,
    ``/proc``, ``/sys``, ``/var/lib/docker`` ..., ``privileged``, host namespaces
    (``pid``, ``network_mode``, ``ipc``, ``userns_mode``: host), dangerous ``cap_add``."""
    out = []
    for s in cp.services:
        volumes = s.spec.get("volumes")
        for index, volume in enumerate(as_list(volumes)):
            source, target, _ = volume_source(volume)
            if source is None or not source.startswith("/"):
                continue
            clean = posixpath.normpath(source)
            if clean in HOST_SOCKETS:
                what = f"the container runtime socket {clean}"
            elif clean == "/":
                what = "the host's root filesystem /"
            elif any(clean == t or clean.startswith(t + "/") for t in HOST_TREES):
                what = f"the host's {clean}"
            else:
                continue
            out.append(s.finding(f"service {s.name} mounts {what} at {target} (host access)",
                                 at=where(volumes, index, s.where("volumes"))))
        if s.spec.get("privileged") in (True, "true"):
            out.append(s.finding(f"service {s.name} runs privileged", "privileged"))
        for key in ("pid", "network_mode", "ipc", "userns_mode", "uts", "cgroup"):
            if str(s.spec.get(key, "")).lower() == "host":
                out.append(s.finding(f"service {s.name} shares the host's namespace "
                                     f"({key}: host)", key))
        added = s.spec.get("cap_add")
        for index, cap in enumerate(as_list(added)):
            name = str(cap).upper().removeprefix("CAP_")
            if name in DANGEROUS_CAPS:
                out.append(s.finding(f"service {s.name} adds capability {name}",
                                     at=where(added, index, s.where("cap_add"))))
    return out


def bind_sources(service: Service) -> list[tuple[str, str, bool, bool, int]]:
    """(source, target, long syntax, create_host_path, line) of bind mounts."""
    volumes = service.spec.get("volumes")
    out = []
    for index, volume in enumerate(as_list(volumes)):
        source, target, long = volume_source(volume)
        if source is None:
            continue
        create = bool(as_mapping(volume.get("bind")).get("create_host_path")) \
            if isinstance(volume, dict) else True
        out.append((source, target, long, create, line_of(volumes, index, service.line)))
    return out


def bind_mounts(cp: ComposeProject) -> list[Finding]:
    """Repository paths a service needs that are not in the tree: bind-mounted files
    (Docker creates a missing short-syntax directory, not a file), long-syntax binds
    without ``create_host_path``, ``env_file``s, file secrets and configs."""
    out = []
    for s in cp.services:
        volumes = s.spec.get("volumes")
        for index, (source, target, long, create, line) in enumerate(bind_sources(s)):
            rel = join(s.directory, source) if source.startswith(".") else None
            if rel is None or "${" in source or _exists(cp, rel):
                continue
            if not long and not FILE_TARGET.search(target):
                continue  # Docker creates the directory
            if long and create:
                continue
            said = "file" if FILE_TARGET.search(target) else "path"
            out.append(s.finding(f"service {s.name} mounts {said} {source}, which does not "
                                 "exist", at=(where(volumes, index)[0] or s.file, line)))
        env_files = s.spec.get("env_file")
        for index, item in enumerate(as_list(env_files)):
            rel = s.env_files()[index][0]
            required = not (isinstance(item, dict) and item.get("required") is False)
            if required and rel and not _exists(cp, rel):
                out.append(s.finding(f"service {s.name} reads env_file {rel}, which does "
                                     "not exist", at=where(env_files, index, s.where("env_file"))))
    for kind in ("secrets", "configs"):
        defined = as_mapping(cp.model.data.get(kind))
        for name, spec in defined.items():
            file = as_mapping(spec).get("file")
            rel = join(cp.model.directory, str(file)) if file and "${" not in str(file) else None
            if rel and not _exists(cp, rel):
                out.append(Finding("", f"{kind[:-1]} {name} reads {file}, which does not "
                                   "exist", *where(defined, name)))
    return out


def _exists(cp: ComposeProject, rel: str) -> bool:
    return (cp.root / rel).exists()


IMAGE_PIN_RULES = ("", "digest")


def images_pinned(cp: ComposeProject) -> list[Finding]:
    out = []
    for s in cp.services:
        if s.image is None or s.build is not None:
            continue  # a built service's image: is the name it is tagged with
        problem = dockerfile_probe.image_pin_problem(s.image)
        if problem:
            out.append(s.finding(f"service {s.name}: {problem[1]}", "image", level=problem[0]))
        elif not dockerfile_probe.digest_pinned(s.image):
            out.append(s.finding(f"service {s.name}: image {s.image} is pinned by tag, not by "
                                 "digest", "image", rule="digest"))
    return out


@dataclass(frozen=True)
class ImageUse:
    """A compose service that runs an image built from a Dockerfile of the tree."""

    project: str
    production: bool
    service: str
    user: str | None  # the service's ``user:``, if any
    healthcheck: bool  # the service's own healthcheck (not the Dockerfile's)

    @property
    def non_root_user(self) -> bool:
        return self.user is not None and "${" not in self.user and \
            not dockerfile_probe.is_root(self.user)


def image_uses(cp: ComposeProject, dockerfile: str, production: bool) -> list[ImageUse]:
    """The services of ``cp`` built from ``dockerfile`` (a path from the audited root)."""
    out = []
    for s in cp.services:
        if s.build is None or s.build[0] != dockerfile:
            continue
        check = s.spec.get("healthcheck")
        out.append(ImageUse(cp.name, production, s.name,
                            str(s.spec["user"]) if "user" in s.spec else None,
                            check is not None and not _healthcheck_disabled(check)))
    return out


def validity(cp: ComposeProject) -> list[Finding]:
    """What keeps Compose from loading the project (errors), and the variables a
    ``${X:?}`` requires that the tree does not set (notes: the deployment gives them)."""
    out = []
    for problem in cp.model.problems:
        level = Level.NOTE if problem.kind in ("required", "unresolved") else Level.ERROR
        out.append(Finding("", problem.message, problem.file, problem.line, level=level))
    return out


# The level each rule sets, and when (the catalogue lists them; profiles.py re-grades).
E, W, N = Level.ERROR, Level.WARNING, Level.NOTE
LEVELS: dict[str, tuple[RuleLevel, ...]] = {
    "healthcheck": (RuleLevel("", E, "a service that always runs has no healthcheck (or it is "
                                     "disabled)"),
                    RuleLevel("", W, "an optional service (profiles:, or only in an add-on "
                                     "file) has none")),
    "depends-on-healthy": (
        RuleLevel("", E, "a dependency is not defined in the project"),
        RuleLevel("", W, "depends_on without a condition on a service that has a healthcheck"),
        RuleLevel("stated", N, "a condition written out (service_started): a stated choice")),
    "restart-policy": (RuleLevel("", E, "a service that always runs has no restart policy"),
                       RuleLevel("", W, "an optional service (profiles:, or only in an "
                                        "add-on file) has none")),
    "resource-limits": (RuleLevel("", E, "no memory limit"),
                        RuleLevel("cpu", W, "a memory limit but no CPU limit (hardening: "
                                            "baseline note)")),
    "non-root": (RuleLevel("", E, "runs as root and is reachable from outside (ports on all "
                                  "interfaces, host network, reverse-proxy labels)"),
                 RuleLevel("internal", E, "runs as root, internal: no published port "
                                          "(hardening: baseline note)"),
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
        RuleLevel("", E, "a database or cache published on all interfaces, authentication off, "
                         "unknown or a weak/placeholder password"),
        RuleLevel("", W, "the same with a real password"),
        RuleLevel("admin-ui", E, "a database or Docker admin UI (adminer, phpMyAdmin, pgAdmin, "
                                 "...; traefik --api.insecure) on all interfaces or routed to "
                                 "a public host")),
    "host-access": (RuleLevel("", E, "the Docker socket (even :ro), /, /proc, /sys or "
                                     "/var/lib/docker mounted; privileged, pid/ipc/network "
                                     "host, or a capability with power over the host"),),
    "valid": (RuleLevel("", E, "a file of the project does not load (YAML, Compose schema)"),
              RuleLevel("", N, "a required ${X:?} variable the tree does not set")),
    "images-pinned": (RuleLevel("", E, "an image without a tag, or :latest"),
                      RuleLevel("", W, "the tag comes from a variable that is not set"),
                      RuleLevel("digest", E, "pinned by tag, not by digest (hardening: "
                                             "baseline note)")),
}


# Every rule, by its check: ``compose.<name>`` is the check id (the suite calls the rule).
RULES: dict[str, Callable[[ComposeProject], list[Finding]]] = {
    rule.__name__.replace("_", "-"): rule for rule in (
        healthcheck, depends_on_healthy, restart_policy, resource_limits, non_root,
        read_only_rootfs, capabilities, no_new_privileges, literal_secrets, exposed_datastores,
        images_pinned, bind_mounts, host_access)
}


def summary(cp: ComposeProject) -> dict[str, Any]:
    model = cp.model
    return {"files": list(model.files), "env_files": list(model.env_files),
            "services": [s.name for s in cp.services],
            "built": [s.name for s in cp.services if s.build is not None],
            "optional": {s.name: why for s in cp.services if (why := s.optional)},
            "variables_from_deployment": sorted(model.unresolved)[:50]}
