"""DNS resolution: configured names resolve, to the expected addresses, from here and hosts."""

from __future__ import annotations

import pytest

from pytest_readiness import Context, Recorder
from pytest_readiness.config import DnsName
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.probes.network import dns as dns_probe

pytestmark = pytest.mark.readiness(section="DNS Resolution", category="resilience")

_FIX = ("Fix the DNS record (or the expected addresses in readiness.yaml), and the resolver "
        "configuration of the hosts that disagree")


def _judge(where: str, answers: tuple[str, ...], problem: str | None, expect: list[str]) -> str:
    if problem:
        return f"{where}: {problem}"
    if not answers:
        return f"{where}: no answer"
    wrong = dns_probe.compare(answers, expect) if expect else None
    if wrong and (wrong.unexpected or wrong.missing):
        return f"{where}: resolves to {', '.join(answers)}, expected {', '.join(expect)}"
    return ""


@pytest.mark.readiness(id="dns.resolves", severity="high", fix=_FIX)
def test_name_resolves_to_expected_addresses(dns_name: DnsName, readiness: Recorder) -> None:
    """The name resolves from the auditing machine, to the expected addresses when given."""
    try:
        answer = dns_probe.resolve(dns_name.name, dns_name.type, dns_name.resolver,
                                   dns_name.timeout)
    except dns_probe.DnsError as exc:
        readiness.error(str(exc))
    readiness.evidence(resolver=answer.resolver, type=dns_name.type, answers=list(answer.answers),
                       expected=dns_name.expect, elapsed_ms=answer.elapsed_ms)
    problem = _judge(f"{dns_name.name} via {answer.resolver}", answer.answers, answer.problem,
                     dns_name.expect)
    assert not problem, problem


@pytest.mark.readiness(id="dns.resolves-on-hosts", severity="high", fix=_FIX)
def test_name_resolves_on_hosts(dns_name: DnsName, readiness_context: Context,
                                readiness: Recorder) -> None:
    """The name resolves on each listed host (getent), to the expected addresses when given."""
    if not dns_name.from_:
        pytest.skip(f"not applicable: no hosts listed under 'from' for {dns_name.name}")
    results, problems, errors = {}, [], []
    for model in readiness_context.hosts_named(dns_name.from_):
        try:
            found = dns_probe.host_resolve(connect(model), model.name, dns_name.name,
                                           dns_name.type)
        except Exception as exc:  # one unreachable host must not hide the others
            errors.append(f"{model.name}: {exc}")
            continue
        results[model.name] = list(found.answers) or found.problem
        problem = _judge(f"{dns_name.name} on {model.name} (its resolver, getent)",
                         found.answers, found.problem, dns_name.expect)
        if problem:
            problems.append(problem)
    readiness.evidence(on_hosts=results, expected=dns_name.expect, unreachable=errors)
    assert not problems, "; ".join(problems)
    if errors:
        readiness.error("; ".join(errors))
