"""DNS resolution: configured names resolve, to the expected addresses, from here and hosts."""

from __future__ import annotations

import functools

import pytest

from pytest_readiness import Context, Recorder
from pytest_readiness.config import DnsName, Host
from pytest_readiness.plumbing import netpool
from pytest_readiness.probes.hosts.connect import connect
from pytest_readiness.probes.network import dns as dns_probe

pytestmark = pytest.mark.readiness(section="DNS Resolution", category="resilience")

_FIX = ("Fix the DNS record (or the expected addresses in readiness.yaml), and the resolver "
        "configuration of the hosts that disagree")


Asked = list[dns_probe.DnsAnswer | dns_probe.DnsError]


def _ask_resolvers(dns_name: DnsName) -> Asked:
    """Every resolver of a name asked once (each bounded by the name's timeout)."""
    out: Asked = []
    for resolver in dns_name.resolver_list:
        try:
            out.append(dns_probe.resolve(dns_name.name, dns_name.type, resolver,
                                         dns_name.timeout))
        except dns_probe.DnsError as exc:
            out.append(exc)
    return out


def _resolver_answers(dns_name: DnsName, ctx: Context
                      ) -> tuple[list[dns_probe.DnsAnswer], list[str]]:
    """(answers, errors) of the name's resolvers: asked once per session for every check
    that reads them, all names at once (plumbing/netpool.py)."""
    pool = netpool.pool_for(ctx)
    pool.register("dns", _ask_resolvers, ctx.config.dns)
    asked: Asked = pool.get("dns", dns_name,
                            wait=dns_name.timeout * (len(dns_name.resolver_list) + 1) + 5)
    return ([a for a in asked if isinstance(a, dns_probe.DnsAnswer)],
            [str(a) for a in asked if isinstance(a, dns_probe.DnsError)])


def _getent(model: Host, dns_name: DnsName) -> dns_probe.HostAnswer:
    return dns_probe.host_resolve(connect(model), model.name, dns_name.name, dns_name.type)


def _host_answers(dns_name: DnsName, ctx: Context
                  ) -> tuple[dict[str, dns_probe.HostAnswer], list[str]]:
    """(answer per host, errors) of the name on each host under ``from`` (getent there);
    one unreachable host never hides the others."""
    found: dict[str, dns_probe.HostAnswer] = {}
    errors: list[str] = []
    for model in ctx.hosts_named(dns_name.from_):
        try:  # getent once per host and name for every check that reads it
            found[model.name] = ctx.derive(
                ("dns.host_resolve", model, dns_name.name, dns_name.type),
                functools.partial(_getent, model, dns_name))
        except Exception as exc:  # one unreachable host must not hide the others
            errors.append(f"{model.name}: {exc}")
    return found, errors


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
def test_name_resolves_to_expected_addresses(dns_name: DnsName, readiness_context: Context,
                                            readiness: Recorder) -> None:
    """The name resolves from the auditing machine (through each of its resolvers), to the
    expected addresses when given."""
    problems, seen = [], {}
    answers, errors = _resolver_answers(dns_name, readiness_context)
    for answer in answers:
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
    results, problems = {}, []
    on_hosts, errors = _host_answers(dns_name, readiness_context)
    for host, found in on_hosts.items():
        results[host] = list(found.answers) or found.problem
        problem = _judge(f"{dns_name.name} on {host} (its resolver, getent)",
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
    answers, errors = _resolver_answers(dns_name, readiness_context)
    on_hosts, host_errors = _host_answers(dns_name, readiness_context)
    errors += host_errors
    views = {f"resolver {a.resolver}": dns_probe.answer_key(a.answers, a.problem)
             for a in answers}
    views.update({f"host {host}": dns_probe.answer_key(found.answers, found.problem)
                  for host, found in on_hosts.items()})
    readiness.evidence(answers=views, unanswered=errors)
    split = dns_probe.disagreement(views)
    assert not split, f"{dns_name.name} resolves differently: " + "; ".join(
        f"{', '.join(sources)} -> {answer}" for answer, sources in split.items())
    if errors:
        readiness.error(f"{dns_name.name}: only {len(views)} of {sources} sources answered "
                        "(they agree): " + "; ".join(errors))
