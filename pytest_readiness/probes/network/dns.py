"""DNS resolution: from the auditing machine with dnspython, from hosts with getent."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.resolver

from pytest_readiness.probes.network.ntp import split_server


class DnsError(Exception):
    """The resolver could not be asked (timeout, refused, no nameservers)."""


@dataclass(frozen=True)
class DnsAnswer:
    name: str
    resolver: str
    answers: tuple[str, ...] = ()
    problem: str | None = None  # NXDOMAIN, no answer: the name does not resolve
    elapsed_ms: float = 0.0


def resolver_label(resolver: str | None) -> str:
    if resolver:
        return resolver
    nameservers = dns.resolver.Resolver().nameservers
    return "system resolver (" + ", ".join(str(n) for n in nameservers) + ")"


def resolve(name: str, rtype: str, resolver: str | None, timeout: float) -> DnsAnswer:
    """Ask ``resolver`` (``ip`` or ``ip:port``; None: the system's) for ``name``."""
    label = resolver_label(resolver)
    res = dns.resolver.Resolver(configure=resolver is None)
    if resolver:
        host, port = split_server(resolver, 53)
        res.nameservers, res.port = [host], port
    res.lifetime = res.timeout = timeout
    started = time.monotonic()
    try:
        answer = res.resolve(name, rtype, search=False)
    except dns.resolver.NXDOMAIN:
        return DnsAnswer(name, label, problem="NXDOMAIN (the name does not exist)",
                         elapsed_ms=_ms(started))
    except dns.resolver.NoAnswer:
        return DnsAnswer(name, label, problem=f"no {rtype} record", elapsed_ms=_ms(started))
    except dns.resolver.LifetimeTimeout:
        raise DnsError(f"resolver {label} did not answer for {name} within {timeout:g}s") from None
    except dns.resolver.NoNameservers as exc:
        raise DnsError(f"resolver {label} failed for {name}: {exc}") from None
    except dns.exception.DNSException as exc:
        raise DnsError(f"resolver {label}: {name}: {exc}") from None
    texts = sorted({record.to_text().rstrip(".") for record in answer})
    return DnsAnswer(name, label, tuple(texts), elapsed_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)


def parse_getent_ahosts(text: str) -> list[str]:
    """``getent ahosts NAME`` output -> the distinct addresses, sorted."""
    return sorted({line.split()[0] for line in text.splitlines() if line.split()})


@dataclass(frozen=True)
class HostAnswer:
    host: str
    answers: tuple[str, ...] = ()
    problem: str | None = None


def host_resolve(host: Any, host_name: str, name: str, rtype: str = "A") -> HostAnswer:
    """Resolve ``name`` on a host with its own resolver configuration (getent)."""
    family = {"A": "ahostsv4", "AAAA": "ahostsv6"}.get(rtype, "ahosts")
    out = host.run(f"getent {family} -- %s", name)
    if out.rc == 2:
        return HostAnswer(host_name, problem="does not resolve (getent: not found)")
    if out.rc != 0:
        return HostAnswer(host_name, problem=f"getent exited {out.rc}: {out.stderr.strip()[:200]}")
    return HostAnswer(host_name, tuple(parse_getent_ahosts(out.stdout)))


@dataclass
class Comparison:
    unexpected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def compare(answers: tuple[str, ...], expected: list[str]) -> Comparison:
    """Answers outside ``expected`` are wrong; none of ``expected`` present is wrong too."""
    wanted = {e.rstrip(".").lower() for e in expected}
    got = {a.lower() for a in answers}
    unexpected = sorted(got - wanted)
    missing = sorted(wanted - got) if not got & wanted else []
    return Comparison(unexpected, missing)


def answer_key(answers: tuple[str, ...], problem: str | None) -> str:
    """What one source says about a name, comparable across sources."""
    if problem:
        return problem
    return ", ".join(sorted(a.lower() for a in answers)) if answers else "no answer"


def disagreement(views: dict[str, str]) -> dict[str, list[str]]:
    """{answer: [sources]} when the sources do not all say the same, else {}."""
    grouped: dict[str, list[str]] = {}
    for source, answer in views.items():
        grouped.setdefault(answer, []).append(source)
    return grouped if len(grouped) > 1 else {}
