"""systemd unit files in a codebase, read statically with their drop-ins (``NAME.d/*.conf``).

The rules that judge a unit are in plumbing/unitfile.py, shared with the units the
host checks read (probes/hosts/services.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.plumbing import unitfile
from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.unitfile import (
    Unit,
    UnitFacts,
    UnitSyntaxError,
    facts_from_unit,
    parse_unit,
)
from pytest_readiness.vocabulary import Level


class UnitFileError(Exception):
    """A unit file or drop-in that cannot be read or parsed; the message names it."""


@dataclass(frozen=True)
class UnitFile:
    facts: UnitFacts
    drop_ins: tuple[str, ...]  # names of the drop-ins applied, in order


def read_unit_file(path: Path, rel: str, reader: Reader | None = None) -> UnitFile:
    """The unit as systemd would load it from the tree: the file, then its drop-ins (read
    through ``reader``, default one rooted at the unit's directory)."""
    reader = reader or Reader(path.parent)
    paths = [path, *sorted(path.parent.joinpath(path.name + ".d").glob("*.conf"))]
    parsed: Unit = {}
    for each in paths:
        try:
            text = reader.read(each).text
        except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big
            what = "" if each == path else f"{each.name}: "
            raise UnitFileError(f"{rel}: {what}{exc}") from None
        try:
            parsed = parse_unit(text, parsed)
        except (UnitSyntaxError, ValueError) as exc:
            raise UnitFileError(f"{rel}: cannot parse {each.name}: {exc}") from None
    return UnitFile(facts_from_unit(path.name, parsed, rel), tuple(p.name for p in paths[1:]))


def findings(rel: str, failures: Sequence[str], warnings: Sequence[str] = ()) -> list[Finding]:
    """The problems the unit-file rules found, as findings of the file (no line: the rules
    judge the unit as systemd merges it with its drop-ins)."""
    return ([Finding("", problem, rel) for problem in failures]
            + [Finding("", problem, rel, level=Level.WARNING) for problem in warnings])


# --- who a service runs as (issue 15.10) ----------------------------------------------------

# Programs that serve on a port (by the program's name, after any path).
SERVERS = frozenset({
    "gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "waitress-serve", "uwsgi",
    "node", "deno", "bun", "nginx", "httpd", "apache2", "caddy", "traefik", "haproxy",
    "envoy", "redis-server", "postgres", "mongod", "memcached", "puma", "unicorn", "php-fpm",
    "grpcwebproxy", "dotnet", "kestrel", "flask", "streamlit", "jupyter", "mlflow",
})
# Flags that make any program listen: --port 8000, --bind 0.0.0.0:8000, -b :8000.
LISTENING = re.compile(r"(?:^|\s)(?:--(?:port|bind|listen|http-port|grpc-port|host)\b|"
                       r"-b\s|-p\s?\d)|\brunserver\b|(?:^|[\s=])[\w.\[\]:]*:\d{2,5}(?:\s|$)")
# Units that only drive containers: the container's user is what matters (compose and
# Dockerfile checks judge it); the client needs the docker socket (root or its group).
CONTAINER_CLIENTS = frozenset({"docker", "podman", "docker-compose", "podman-compose", "nerdctl"})
USER_LEVELS = (
    RuleLevel("", Level.ERROR, "a network service (a server program, a listening flag, a "
                               ".socket unit, or ordered after the network) with no User= or "
                               "DynamicUser=yes, or User=root"),
    RuleLevel("", Level.WARNING, "any other long-running or one-shot service that runs as "
                                 "root"),
    RuleLevel("", Level.NOTE, "a unit that only drives containers (docker, podman)"),
)


def program(command: str) -> tuple[str, str]:
    """The program's base name and the rest of an ExecStart= line (``-``, ``@``, ``+``,
    ``!`` prefixes and ``env``/``python -m`` wrappers taken off)."""
    words = command.lstrip("-@+!:").split()
    while words and (words[0].rsplit("/", 1)[-1] in ("env", "exec", "nice", "sudo")
                     or "=" in words[0] or words[0].startswith("-")):
        words = words[1:]
    if not words:
        return "", ""
    program = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if re.fullmatch(r"python[\d.]*", program) and len(rest) >= 2 and rest[0] == "-m":
        program, rest = rest[1], rest[2:]
    elif program == "java" and "-jar" in rest:
        program = "java -jar"
    return program, " ".join(rest)


def network_evidence(facts: UnitFacts, socket_unit: bool) -> str | None:
    """Why the unit is a network service, or None: a matching .socket unit, a server
    program, a listening flag, or ``After=``/``Wants=`` a network target (a one-shot
    service that is only ordered after the network is not one)."""
    if socket_unit:
        return f"socket-activated ({facts.name.rsplit('.', 1)[0]}.socket)"
    for command in facts.exec_start:
        name, rest = program(command)
        if name in SERVERS or name == "java -jar":
            return f"ExecStart runs {name}"
        if LISTENING.search(" " + rest + " "):
            return f"ExecStart of {name} listens ({_listening(rest)})"
    network = [t for t in (*facts.after, *facts.wants) if t.startswith("network")]
    if network and facts.service_type != "oneshot":
        return f"ordered after {network[0]}"
    return None


def _listening(rest: str) -> str:
    match = LISTENING.search(" " + rest + " ")
    return match.group(0).strip() if match else ""


def user_findings(rel: str, facts: UnitFacts, socket_unit: bool) -> list[Finding]:
    """A service with no ``User=`` (or ``User=root``) and no ``DynamicUser=yes`` runs as
    root: an error for a network service (a flaw in it is a root shell), a warning for any
    other service, a note for a unit that only drives containers."""
    if unitfile.runs_as_root(facts) is not True:
        return []
    said = "User=root" if facts.user in ("root", "0") else "no User= or DynamicUser=yes"
    programs = [program(c)[0] for c in facts.exec_start]
    if programs and all(p in CONTAINER_CLIENTS for p in programs):
        return [Finding("", f"{facts.name} runs {programs[0]} as root ({said}): the "
                            "containers' own users are what the compose and Dockerfile "
                            "checks judge", rel, level=Level.NOTE)]
    why = network_evidence(facts, socket_unit)
    if why:
        return [Finding("", f"{facts.name} is a network service ({why}) and runs as root "
                            f"({said})", rel)]
    return [Finding("", f"{facts.name} runs as root ({said})", rel, level=Level.WARNING)]
