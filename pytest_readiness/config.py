"""readiness.yaml -> a validated, typed model of the system under audit.

The file is parsed with PyYAML, environment variables are interpolated
(``${VAR}``, ``${VAR:-default}``, ``$${literal}``), and the tree is validated by
pydantic models that forbid unknown keys. Every problem becomes one
:class:`ConfigError` whose message names the file, the key path and what was
expected, so the plugin can stop the run before collection with a usage error.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pytest_readiness.plumbing import yamlpos
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.reader import DEFAULT_MAX_FILE_BYTES, Reader
from pytest_readiness.plumbing.redact import scrub
from pytest_readiness.plumbing.scope import Role, valid_glob
from pytest_readiness.profiles import DEFAULT_PROFILE, profile_named
from pytest_readiness.vocabulary import CATEGORIES, Level, Severity

CONFIG_FILENAMES = ("readiness.yaml", "readiness.yml")


class ConfigError(Exception):
    """A readiness.yaml that cannot be used; the message is the whole story.

    Redacted as it is made (plumbing/redact.py): a message may quote a value, and a value
    may hold a password interpolated from the environment (``${DB_PASSWORD}`` in a URL
    the validator refuses), while the message is printed as it is (a usage error).
    """

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __hash__(self) -> int:
        # Frozen models holding lists are not hashable by field values; targets are
        # used as cache keys (one connection per host), so hash their canonical JSON.
        return hash((type(self).__name__, self.model_dump_json()))


def _positive(value: float, what: str = "timeout") -> float:
    if value <= 0:
        raise ValueError(f"{what} must be a positive number of seconds (got {value})")
    return value


class _SourceInt(int):
    """An int from YAML that remembers how it was written (0600 stays "0600")."""

    source: str


class _Loader(yamlpos.SafeLoader):
    """Bounded (depth, node count, alias expansion: plumbing/yamlpos.py); ints keep their
    source text."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = _SourceInt(super().construct_yaml_int(node))
        value.source = str(node.value)
        return value


def _construct_int(loader: _Loader, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)  # the tag of scalars only
    return loader.construct_yaml_int(node)


yaml.add_constructor("tag:yaml.org,2002:int", _construct_int, Loader=_Loader)


def parse_mode(text: str | int) -> int:
    """Parse a file mode written in octal: "0600", 0600, 600 or "0o600"."""
    if isinstance(text, int) and not isinstance(text, bool):
        # An unquoted 0600 is octal to YAML 1.1 (384) but 600 is decimal: read
        # the digits as written either way.
        text = getattr(text, "source", str(text))
    if not isinstance(text, str) or not re.fullmatch(r"(0o?)?[0-7]{3,4}", text.strip()):
        raise ValueError(f"expected an octal file mode such as \"0600\" (got {text!r})")
    digits = text.strip().removeprefix("0o")
    return int(digits, 8)


class Target(_Model):
    """Anything a check can be aimed at; ``target_name`` is its id in reports."""

    @property
    def target_name(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


# --- hosts -----------------------------------------------------------------


class Host(Target):
    name: str
    connection: str = "local://"
    roles: list[str] = []
    optional: bool = False
    timeout: float = 10.0
    sudo: bool = False
    ssh_config: str | None = None
    ssh_identity_file: str | None = None
    ssh_extra_args: str | None = None
    # Host keys are verified by default; relaxing it is reported as a warning.
    strict_host_key_checking: bool = True
    known_hosts: str | None = None
    ansible_inventory: str | None = None
    service_user: str | None = None
    # Output of one host command (stdout and stderr together) read at most; past it the
    # command is stopped and its check ends in error (a host that floods costs this much).
    max_output_kb: int = Field(4096, gt=0)

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @property
    def target_name(self) -> str:
        return self.name


def _host_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"expected an absolute path on the host (got {value!r})")
    return value


HostPath = Annotated[str, AfterValidator(_host_path)]


class FileSpec(_Model):
    path: HostPath
    hosts: list[str] = []
    mode: int | None = None
    owner: str | None = None
    group: str | None = None
    exists: bool = True
    secret: bool = False
    # Keys the file (YAML, JSON, TOML, INI or .env, read on the host) must define.
    required_keys: list[str] = []
    # The file's format; None: from its extension (anything else is read as .env lines).
    format: Literal["yaml", "json", "toml", "ini", "env"] | None = None
    # At most this mode (no permission bit beyond it); what a file beyond it gives.
    max_mode: int | None = None
    max_mode_level: Level = Level.ERROR

    @field_validator("mode", "max_mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> int | None:
        return None if value is None else parse_mode(value)

    @field_validator("max_mode_level")
    @classmethod
    def _level(cls, value: Level) -> Level:
        if value == Level.NOTE:
            raise ValueError(f"expected {Level.ERROR} or {Level.WARNING} (got {value})")
        return value

    @field_validator("required_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        if any(not key.strip() for key in value):
            raise ValueError("a required key is empty")
        return value

    @model_validator(mode="after")
    def _keys_need_a_file(self) -> FileSpec:
        if self.required_keys and not self.exists:
            raise ValueError("required_keys needs a file that exists (exists: true)")
        return self


class MountSpec(_Model):
    """A path on hosts that must be a mount point (of a type, a size, with free space)."""

    path: HostPath
    hosts: list[str] = []
    # Accepted file-system types (as /proc/mounts names them: ext4, xfs, nfs4, tmpfs...).
    fstype: list[str] = []
    min_size_gb: float | None = Field(None, gt=0)
    min_free_gb: float | None = Field(None, ge=0)
    min_free_percent: float | None = Field(None, ge=0, le=100)

    @field_validator("fstype", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ServiceSpec(_Model):
    unit: str
    hosts: list[str] = []
    # The user the service must run as (services.runtime-user); root always warns.
    user: str | None = None
    after: list[str] = []
    wants: list[str] = []
    requires: list[str] = []
    restart: bool = True
    enabled: bool = True
    active: bool = True


class NtpConfig(_Model):
    servers: list[str] = []
    warn_ms: float = 100.0
    fail_ms: float = 1000.0
    timeout: float = 5.0
    # Fewer servers answering fails (an NTP client needs several to outvote a wrong one).
    min_servers: int = Field(1, ge=1)
    # Largest spread between the answering servers' clocks; None: fail_ms.
    max_skew_ms: float | None = Field(None, gt=0)

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @model_validator(mode="after")
    def _order(self) -> NtpConfig:
        if self.warn_ms < 0 or self.fail_ms < 0 or self.fail_ms < self.warn_ms:
            raise ValueError("expected 0 <= warn_ms <= fail_ms")
        return self

    @property
    def skew_limit_ms(self) -> float:
        return self.fail_ms if self.max_skew_ms is None else self.max_skew_ms


class FleetConfig(_Model):
    packages: list[str] = []
    files: list[str] = []
    facts: list[Literal["kernel", "packages", "ntp_offset", "files"]] = [
        "kernel",
        "packages",
        "ntp_offset",
        "files",
    ]


# Programs a user may never add to the host allowlist: they run other programs, write,
# delete, signal or reconfigure (a readiness.yaml cannot turn an audit into a change).
NEVER_ALLOWED = frozenset("""
    sh bash dash zsh ksh csh tcsh fish busybox env xargs nohup timeout nice ionice chroot
    nsenter unshare setsid sudo su doas pkexec runuser ssh scp sftp rsync curl wget nc ncat
    socat telnet ftp python python2 python3 perl ruby node php lua tclsh awk gawk mawk sed
    ed vi vim nano emacs find rm rmdir mv cp ln install chmod chown chgrp chattr touch mkdir
    mknod mkfifo tee truncate dd shred kill pkill killall reboot shutdown halt poweroff init
    telinit mount umount swapon swapoff mkfs fdisk sfdisk parted wipefs iptables ip6tables
    nft ufw firewall-cmd crontab at batch systemd-run passwd chpasswd useradd usermod userdel
    groupadd groupmod groupdel visudo apt apt-get aptitude dpkg yum dnf zypper pacman snap
    flatpak pip pip3 npm gem cargo go make git docker podman kubectl helm
""".split())
# First arguments that change state, whatever the program.
STATE_VERBS = frozenset("""
    start stop restart reload enable disable mask unmask kill rm remove delete del set write
    create add apply edit install uninstall upgrade update purge exec run reset clear flush
    destroy prune push import load unload format mount umount attach detach scrub resize
    rollback snapshot send receive online offline replace clean drop truncate move copy
""".split())
_PROGRAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_FIRST_ARG = re.compile(r"-{0,2}[A-Za-z0-9][A-Za-z0-9._:=,@+-]{0,63}")


class HostCommandSpec(_Model):
    """A read-only command the user allows on hosts, for checks of their own."""

    program: str
    # The first arguments it may be given (a subcommand or an option): at least one.
    first: list[str] = Field(..., min_length=1)
    # What values placed in its command must be: word, path, unit or package.
    values: Literal["word", "path", "unit", "package"] = "word"

    @field_validator("program")
    @classmethod
    def _program(cls, value: str) -> str:
        if not _PROGRAM.fullmatch(value):
            raise ValueError(f"expected a program name, not a path or words (got {value!r})")
        base = value.lower()
        if base in NEVER_ALLOWED or base.startswith(("mkfs", "python", "perl")):
            raise ValueError(f"{value!r} can change a host or run other programs: it is never "
                             "allowed")
        return value

    @field_validator("first")
    @classmethod
    def _first(cls, value: list[str]) -> list[str]:
        for arg in value:
            if not _FIRST_ARG.fullmatch(arg):
                raise ValueError(f"{arg!r} is not a subcommand or option word")
            if arg.lstrip("-").lower() in STATE_VERBS:
                raise ValueError(f"{arg!r} changes state: only read-only uses may be allowed")
        return value


class ToolSpec(_Model):
    name: str
    package: str | None = None
    hosts: list[str] = []


# --- network ---------------------------------------------------------------


class TlsPolicy(_Model):
    warn_days: int = 30
    fail_days: int = 14
    ca_bundle: str | None = None
    min_rsa_bits: int = 2048
    min_ec_bits: int = 256

    @model_validator(mode="after")
    def _order(self) -> TlsPolicy:
        if self.fail_days < 0 or self.warn_days < self.fail_days:
            raise ValueError("expected 0 <= fail_days <= warn_days")
        return self


class LatencyPolicy(_Model):
    samples: int = Field(20, ge=1, le=10_000)
    concurrency: int = Field(4, ge=1, le=256)
    p95_budget_ms: float = Field(200.0, gt=0)


class Endpoint(Target):
    name: str
    url: str
    health: str | None = None
    metrics: str | None = None
    timeout: float = 10.0
    expect_status: list[int] = []
    tls: TlsPolicy = TlsPolicy()
    latency: LatencyPolicy = LatencyPolicy()
    headers: bool = True
    redirect_http: bool = True
    # The plain-HTTP address that must redirect to HTTPS (default: the url on port 80).
    http_url: str | None = None
    # The host that terminates TLS for it (tls.auto-renewal looks there for renewal).
    host: str | None = None

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @field_validator("http_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^http://[^/\s]+", value):
            raise ValueError(f"expected an http:// URL (got {value!r})")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^(https?)://[^/\s]+", value):
            raise ValueError(f"expected an http:// or https:// URL (got {value!r})")
        return value

    @property
    def target_name(self) -> str:
        return self.name


class DnsName(Target):
    name: str
    expect: list[str] = []
    type: Literal["A", "AAAA", "CNAME", "MX", "TXT"] = "A"
    from_: list[str] = Field(default_factory=list, alias="from")
    resolver: str | None = None
    # Several resolvers asked for the same name (dns.agreement compares their answers).
    resolvers: list[str] = []
    # False: the answers may differ on purpose (a deliberate split horizon).
    agree: bool = True
    timeout: float = 5.0
    endpoint: str | None = None

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @field_validator("resolvers")
    @classmethod
    def _resolvers(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a resolver is listed twice")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> DnsName:
        if self.resolver and self.resolvers:
            raise ValueError("expected 'resolver' or 'resolvers', not both")
        return self

    @property
    def resolver_list(self) -> list[str | None]:
        """The resolvers asked from the auditing machine (None: the system's)."""
        return list(self.resolvers) or [self.resolver]

    @property
    def target_name(self) -> str:
        return self.name


class PoolSpec(_Model):
    size: int = Field(5, ge=0)
    max_overflow: int = Field(10, ge=0)
    processes: int = Field(1, ge=1)


class Database(Target):
    name: str
    dsn: str | None = None
    sqlite: str | None = None
    host: str | None = None
    timeout: float = 5.0
    pool: PoolSpec | None = None
    require_tls: bool | None = None

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @model_validator(mode="after")
    def _one_kind(self) -> Database:
        if (self.dsn is None) == (self.sqlite is None):
            raise ValueError("expected exactly one of 'dsn' or 'sqlite'")
        return self

    @property
    def target_name(self) -> str:
        return self.name


class Keepalive(_Model):
    time_ms: int = Field(..., gt=0)
    timeout_ms: int = Field(20_000, gt=0)
    permit_without_calls: bool = False


class GrpcService(Target):
    name: str
    target: str
    service: str = ""
    tls: bool = False
    ca_bundle: str | None = None
    timeout: float = 5.0
    keepalive: Keepalive | None = None

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @property
    def target_name(self) -> str:
        return self.name


# --- code and deployment ---------------------------------------------------


class ConfigFileSpec(_Model):
    path: str
    required_keys: list[str] = []
    mode: int | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> int | None:
        return None if value is None else parse_mode(value)


class RuleIgnore(_Model):
    """Silence a check or rule (its id, or a glob: ``secrets.*``) in some paths, with a reason."""

    rule: str = Field(..., min_length=1)
    paths: list[str] = []
    reason: str = Field(..., min_length=1)


class Codebase(Target):
    path: str = "."
    name: str | None = None
    async_: bool = Field(False, alias="async")
    exclude: list[str] = []
    config_files: list[ConfigFileSpec] = []
    # Rule ignores are reported with the findings they silence.
    ignore: list[RuleIgnore] = []

    @property
    def target_name(self) -> str:
        return self.name or self.path


Glob = Annotated[str, AfterValidator(valid_glob)]


class ScopeConfig(_Model):
    """What is production (docs/configuration.md, "scope"): gitignore-style globs relative
    to each codebase root. ``roles`` pins a role (the last matching glob wins, and wins over
    every inferred role); ``exclude`` leaves files out of the audit; ``include``, when
    given, audits only the files it matches."""

    include: list[Glob] = []
    exclude: list[Glob] = []
    roles: dict[Glob, Role] = {}


class ContractsConfig(_Model):
    # Git ref (tag, branch, commit) the protos are checked for breaking changes against.
    base_ref: str | None = None
    # Extra -I import roots for protoc, relative to the config file.
    include: list[str] = []
    # Seconds a protoc or git subprocess may take.
    timeout: float = 60.0

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @field_validator("base_ref")
    @classmethod
    def _git_ref(cls, value: str | None) -> str | None:
        # Passed to git as ``REF:./path``: an option (``--output=...``) or a second
        # argument must not be made of it.
        if value is not None and (not value or value.startswith("-") or ":" in value or
                                  any(c.isspace() or not c.isprintable() for c in value)):
            raise ValueError(f"{value!r} is not a git ref (a tag, branch or commit; it "
                             "cannot start with '-' or hold ':', spaces or controls)")
        return value


class MonitoringConfig(_Model):
    prometheus_rules: list[str] = []
    alertmanager: list[str] = []


# Operations documents a team may keep outside the repository (docs.elsewhere keys).
DOC_TOPICS = ("runbooks", "incident-response", "backup-restore", "rollback",
              "capacity-planning", "backups-scheduled", "restore-tested")


class DocsConfig(_Model):
    # Extra documents (globs relative to readiness.yaml) besides those found in codebases.
    paths: list[str] = []
    runbooks: list[str] = []
    # Documents kept outside the repository (a wiki, a runbook tool): topic -> link.
    elsewhere: dict[str, str] = {}
    # A procedure shorter than this (words, steps) is reported as a stub.
    min_words: int = Field(60, ge=0)
    min_steps: int = Field(3, ge=0)


class TreeConfig(_Model):
    """How the audited tree is read (plumbing/reader.py, plumbing/tree.py)."""

    # A bigger file is not read (reported "not read: N bytes > cap"); "4 MB" or bytes.
    max_file_bytes: int = Field(DEFAULT_MAX_FILE_BYTES, ge=1024)
    # Directory levels walked below a codebase root; deeper ones are reported, not walked.
    max_depth: int = Field(100, ge=1, le=10_000)

    @field_validator("max_file_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?)\s*", value, re.I) \
            if isinstance(value, str) else None
        if match:
            unit = 1024 ** (" kmg".index(match[2][0].lower()))
            return int(float(match[1]) * unit)
        return value


# --- scoring and waivers ---------------------------------------------------


class Thresholds(_Model):
    ready: float = Field(90.0, ge=0, le=100)
    conditional: float = Field(70.0, ge=0, le=100)

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.conditional > self.ready:
            raise ValueError("expected conditional <= ready")
        return self


class ScoringConfig(_Model):
    # Category weights; a key that is not a default category defines a new one.
    weights: dict[str, float] = {}
    thresholds: Thresholds = Thresholds()
    # A category assessed by fewer distinct checks than this has insufficient evidence:
    # no score, left out of the overall (0: every assessed category is scored).
    min_checks: int = Field(3, ge=0)

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if weight < 0:
                raise ValueError(f"weight of {name!r} must be >= 0 (got {weight})")
        return value


class Waiver(_Model):
    check: str
    target: str | None = None
    reason: str = Field(..., min_length=1)
    owner: str | None = None
    expires: dt.date | None = None


class Override(_Model):
    check: str
    severity: Severity | None = None
    category: str | None = None


class System(_Model):
    """What is audited: its name in reports, and whether it is a deployment or an upstream
    library (``None``: not said; audited as a deployment, and the checks say so)."""

    name: str = "Unnamed system"
    kind: Literal["deployment", "library"] | None = None

    def __str__(self) -> str:
        return self.name


class ReadinessConfig(_Model):
    system: System = System()
    # The policy profile (profiles.py): baseline, restricted; --readiness-profile wins.
    profile: str = DEFAULT_PROFILE
    # Level overrides: rule id, check id or glob -> error | warning | note.
    levels: dict[str, Level] = {}
    timeout: float = 10.0
    hosts: list[Host] = []
    endpoints: list[Endpoint] = []
    dns: list[DnsName] = []
    ntp: NtpConfig = NtpConfig()
    files: list[FileSpec] = []
    mounts: list[MountSpec] = []
    services: list[ServiceSpec] = []
    fleet: FleetConfig = FleetConfig()
    tools: list[ToolSpec] = []
    # Extra read-only host commands for the user's own checks (docs/writing-checks.md).
    host_commands: list[HostCommandSpec] = []
    databases: list[Database] = []
    grpc: list[GrpcService] = []
    codebases: list[Codebase] = []
    scope: ScopeConfig = ScopeConfig()
    protos: list[list[str]] = []
    contracts: ContractsConfig = ContractsConfig()
    compose: list[str | list[str]] = []  # a file, or the -f files of one project
    dockerfiles: list[str] = []
    units: list[str] = []
    workflows: list[str] = []
    monitoring: MonitoringConfig = MonitoringConfig()
    docs: DocsConfig = DocsConfig()
    tree: TreeConfig = TreeConfig()
    checks: list[str] = []
    scoring: ScoringConfig = ScoringConfig()
    waivers: list[Waiver] = []
    overrides: list[Override] = []

    check_timeout = field_validator("timeout")(lambda cls, v: _positive(v))

    @field_validator("system", mode="before")
    @classmethod
    def _system(cls, value: Any) -> Any:
        # ``system: "name"`` is the short form of ``system: {name: "name"}``
        return {"name": value} if isinstance(value, str) else value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        profile_named(value)  # ValueError naming the choices
        return value

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, Level]) -> dict[str, Level]:
        for pattern in value:
            if not pattern.strip():
                raise ValueError("expected a rule id, check id or glob as key (got '')")
        return value

    @field_validator("hosts")
    @classmethod
    def _inventory_hosts(cls, hosts: list[Host]) -> list[Host]:
        # An ansible:// entry with an inventory stands for every inventory host it matches.
        from pytest_readiness.inventory import InventoryError, expand_inventories

        try:
            return expand_inventories(hosts)
        except InventoryError as exc:
            raise _KeyedError(exc.where, str(exc)) from None

    @property
    def categories(self) -> dict[str, float]:
        """Known categories and their weights, defaults overridden by config."""
        return {**CATEGORIES, **self.scoring.weights}

    @model_validator(mode="after")
    def _references(self) -> ReadinessConfig:
        for section in ("hosts", "endpoints", "databases", "grpc", "dns"):
            _no_duplicates(section, [item.name for item in getattr(self, section)])
        _no_duplicates("codebases", [c.target_name for c in self.codebases])
        host_names = {h.name for h in self.hosts}
        refs: list[tuple[str, Iterable[str]]] = []
        refs += [(f"files[{i}].hosts", f.hosts) for i, f in enumerate(self.files)]
        refs += [(f"services[{i}].hosts", s.hosts) for i, s in enumerate(self.services)]
        refs += [(f"mounts[{i}].hosts", m.hosts) for i, m in enumerate(self.mounts)]
        refs += [(f"tools[{i}].hosts", t.hosts) for i, t in enumerate(self.tools)]
        refs += [(f"dns[{i}].from", d.from_) for i, d in enumerate(self.dns)]
        refs += [(f"databases[{i}].host", [d.host]) for i, d in enumerate(self.databases) if d.host]
        refs += [(f"endpoints[{i}].host", [e.host]) for i, e in enumerate(self.endpoints) if e.host]
        for where, names in refs:
            for name in names:
                if name not in host_names:
                    raise _KeyedError(where, f"host {name!r} is not defined under 'hosts'")
        endpoint_names = {e.name for e in self.endpoints}
        for i, d in enumerate(self.dns):
            if d.endpoint and d.endpoint not in endpoint_names:
                raise _KeyedError(f"dns[{i}].endpoint", f"endpoint {d.endpoint!r} is not defined")
        for topic in self.docs.elsewhere:
            if topic not in DOC_TOPICS:
                raise _KeyedError(f"docs.elsewhere.{topic}",
                                  f"unknown topic {topic!r}; expected one of "
                                  f"{', '.join(DOC_TOPICS)}")
        categories = self.categories
        for i, o in enumerate(self.overrides):
            if o.category and o.category not in categories:
                raise _KeyedError(
                    f"overrides[{i}].category",
                    f"unknown category {o.category!r}; expected one of {sorted(categories)} "
                    "or a new one declared under scoring.weights",
                )
        return self


class _KeyedError(ValueError):
    """A cross-reference error that knows its own key path."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


def _no_duplicates(section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise _KeyedError(f"{section}[{index}].name", f"duplicate name {name!r}")
        seen.add(name)


# --- loading -----------------------------------------------------------------

_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}", re.DOTALL)


# The password of a URL (``scheme://user:PASSWORD@host``): the one place a credential
# interpolated from the environment goes, as every output masks it there.
_URL_PASSWORD_SLOT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*:(?P<password>[^@/\s]*)@")


def interpolate(text: str, environ: Mapping[str, str], where: str = "") -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; ``$${VAR}`` stays literal.

    A variable whose name says credential (``*_TOKEN``, ``*_PASSWORD``, ``*SECRET*``:
    plumbing/names.py) may stand only for a URL's password: anywhere else (a name, a
    URL's path or query) its value would be copied into every report and node id, which a
    readiness.yaml from a pull request could use to publish a CI secret.
    """

    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        if name in environ and (environ[name] != "" or default is None):
            if environ[name] and is_secret_name(name, anywhere=True) and \
                    not _in_url_password(text, match.start(), match.end()):
                raise _KeyedError(where, f"${{{name}}} names a credential: it may only be a "
                                  "URL's password (scheme://user:${...}@host), which every "
                                  "output hides; anywhere else its value would be shown")
            return environ[name]
        if default is not None:
            return default
        raise _KeyedError(where, f"environment variable {name} is not set and has no default")

    return _VAR.sub(replace, text)


def _in_url_password(text: str, start: int, end: int) -> bool:
    return any(m.start("password") <= start and end <= m.end("password")
               for m in _URL_PASSWORD_SLOT.finditer(text))


def escape_interpolation(text: str) -> str:
    """``text`` written so that :func:`interpolate` gives it back unchanged.

    Every ``${VAR}`` (or ``$${VAR}``) the loader would see gets one more ``$``;
    any other ``$`` is already literal. For generated files (``pytest-readiness init``).
    """
    return _VAR.sub(lambda match: "$" + match.group(0), text)


def _interpolate_tree(node: Any, environ: Mapping[str, str], path: str) -> Any:
    if isinstance(node, str):
        return interpolate(node, environ, path)
    if isinstance(node, list):
        return [_interpolate_tree(v, environ, f"{path}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, environ, _join(path, str(k))) for k, v in node.items()}
    return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _loc(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith(("function-", "function_")):
            continue
        else:
            path = _join(path, str(part))
    return path or "(top level)"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if kind.endswith("_type") or kind.endswith("_parsing") or kind in ("literal_error", "enum"):
        return f"{message} (got {_short(value)})"
    return message


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_config(text: str, source: str = "readiness.yaml",
                 environ: Mapping[str, str] | None = None) -> ReadinessConfig:
    """Parse readiness.yaml text; raise ConfigError naming source, key path and problem."""
    environ = os.environ if environ is None else environ
    try:
        tree = yamlpos.document(text, _Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}:{where}: invalid YAML: {problem}") from None
    except RecursionError:  # a bound above should have stopped it first
        raise ConfigError(f"{source}: invalid YAML: nested too deeply") from None
    if tree is None:
        raise ConfigError(f"{source}: the file is empty; expected a mapping such as 'system: name'")
    if not isinstance(tree, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level "
                          f"(got {type(tree).__name__})")
    try:
        tree = _interpolate_tree(tree, environ, "")
        return ReadinessConfig.model_validate(tree)
    except _KeyedError as exc:
        raise ConfigError(f"{source}: {exc.where}: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, _KeyedError):
            raise ConfigError(f"{source}: {cause.where}: {cause}") from None
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {_loc(error['loc'])}: {_describe(error)}{more}") from None


def find_config(rootdir: Path, invocation_dir: Path) -> Path | None:
    """readiness.yaml in the rootdir, else in the directory pytest was run from."""
    for directory in dict.fromkeys([rootdir, invocation_dir]):
        for name in CONFIG_FILENAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def load_config(path: Path | None) -> tuple[ReadinessConfig, Path | None]:
    """Load and validate a config file; no file means the embedded default."""
    if path is None:
        return ReadinessConfig(), None
    return parse_config(read_config_text(path), str(path)), path


def read_config_text(path: Path) -> str:
    """readiness.yaml's text. It may come with the repository under audit, so it is read
    like the tree (plumbing/reader.py): a regular file, at most 4 MB, UTF-8."""
    real = Path(os.path.realpath(path))
    try:
        return Reader(real.parent).text(real)
    except OSError as exc:  # Unread: says why, never what the file holds
        raise ConfigError(f"{path}: {exc}") from None
