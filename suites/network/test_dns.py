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
    """The name resolves from the auditing machine (through each of its resolvers), to the
    expected addresses when given."""
    problems, errors, seen = [], [], {}
    for resolver in dns_name.resolver_list:
        try:
            answer = dns_probe.resolve(dns_name.name, dns_name.type, resolver, dns_name.timeout)
        except dns_probe.DnsError as exc:
            errors.append(str(exc))
            continue
        seen[answer.resolver] = {"answers": list(answer.answers),
                                 "elapsed_ms": answer.elapsed_ms}
        problems.append(_judge(f"{dns_name.name} via {answer.resolver}", answer.answers,
                               answer.problem, dns_name.expect))
    if len(dns_name.resolver_list) == 1 and seen:
        ((label, only),) = seen.items()
        readiness.evidence(resolver=label, answers=only["answers"],
                           elapsed_ms=only["elapsed_ms"])
    else:
        readiness.evidence(resolvers=seen)
    readiness.evidence(type=dns_name.type, expected=dns_name.expect, unanswered=errors)
    failed = [p for p in problems if p]
    assert not failed, "; ".join(failed)
    if errors:
        readiness.error("; ".join(errors))


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


@pytest.mark.readiness(id="dns.agreement", severity="high",
                       fix="Make the resolvers (and the hosts' resolver configuration) serve "
                           "the same records; if the split horizon is deliberate, set "
                           "`agree: false` or list every valid address under `expect`")
def test_resolvers_and_hosts_agree(dns_name: DnsName, readiness_context: Context,
                                   readiness: Recorder) -> None:
    """Every resolver and host asked for the name gives the same answer (split horizon)."""
    sources = len(dns_name.resolver_list) + len(dns_name.from_)
    if sources < 2:
        pytest.skip(f"not applicable: {dns_name.name} is asked from one place only "
                    "(list several `resolvers` or hosts under `from`)")
    if not dns_name.agree:
        pytest.skip(f"not applicable: agree: false for {dns_name.name} (deliberate split horizon)")
    if dns_name.expect:
        pytest.skip(f"not applicable: {dns_name.name} has `expect`: dns.resolves and "
                    "dns.resolves-on-hosts judge each answer against it")
    views, errors = {}, []
    for resolver in dns_name.resolver_list:
        try:
            answer = dns_probe.resolve(dns_name.name, dns_name.type, resolver, dns_name.timeout)
        except dns_probe.DnsError as exc:
            errors.append(str(exc))
            continue
        views[f"resolver {answer.resolver}"] = dns_probe.answer_key(answer.answers,
                                                                    answer.problem)
    for model in readiness_context.hosts_named(dns_name.from_):
        try:
            found = dns_probe.host_resolve(connect(model), model.name, dns_name.name,
                                           dns_name.type)
        except Exception as exc:  # one unreachable host must not hide the others
            errors.append(f"{model.name}: {exc}")
            continue
        views[f"host {model.name}"] = dns_probe.answer_key(found.answers, found.problem)
    readiness.evidence(answers=views, unanswered=errors)
    split = dns_probe.disagreement(views)
    assert not split, f"{dns_name.name} resolves differently: " + "; ".join(
        f"{', '.join(sources)} -> {answer}" for answer, sources in split.items())
    if errors:
        readiness.error(f"{dns_name.name}: only {len(views)} of {sources} sources answered "
                        "(they agree): " + "; ".join(errors))
