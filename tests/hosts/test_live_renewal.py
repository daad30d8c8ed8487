"""Certificate renewal (issue 16.8): automatic renewal configured and confirmed (a running
ACME timer or cron job, Caddy, a cert-manager Certificate), a warning when it cannot be."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.deployment import certmanager
from pytest_readiness.probes.hosts import renewal
from tests.hosts.conftest import LiveLab, check_of, run_live

CHECK = "tls.auto-renewal"
DISABLED_TIMER = """#!/bin/sh
# systemctl show of a host whose certbot timer is installed but disabled
for unit in "$@"; do
  case "$unit" in
    certbot.timer) state='loaded disabled' ;;
    *.timer|*.service) state='not-found' ;;
    *) continue ;;
  esac
  set -- $state
  printf 'Id=%s\\nLoadState=%s\\nUnitFileState=%s\\nActiveState=inactive\\n\\n' \\
    "$unit" "$1" "$2"
done
"""
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: shop}
spec:
  secretName: shop-tls
  dnsNames: [shop.example.test]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
"""


def test_judge_confirms_breaks_or_cannot_tell() -> None:
    timer = renewal.parse_units(
        "Id=certbot.timer\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\n\n"
        "Id=lego.timer\nLoadState=not-found\nUnitFileState=\nActiveState=inactive\n")
    assert renewal.judge(renewal.RenewalEvidence(timers=timer)).outcome == "pass"
    stopped = renewal.parse_units(
        "Id=certbot.timer\nLoadState=loaded\nUnitFileState=disabled\nActiveState=inactive\n")
    assert renewal.judge(renewal.RenewalEvidence(timers=stopped)).outcome == "fail"
    cron = {"/etc/cron.d/x": renewal.cron_lines("# certbot renew\n0 3 * * * acme.sh --cron\n")}
    assert cron["/etc/cron.d/x"] == ["0 3 * * * acme.sh --cron"]
    assert renewal.judge(renewal.RenewalEvidence(timers=stopped, cron=cron)).outcome == "pass"
    caddy = renewal.parse_units(
        "Id=caddy.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\n")
    assert renewal.judge(renewal.RenewalEvidence(caddy=caddy)).outcome == "pass"
    off = renewal.caddy_automatic("{\n  auto_https off  # behind a balancer\n}\n")
    assert renewal.judge(renewal.RenewalEvidence(caddy=caddy, caddy_automatic=off)).outcome \
        == "fail"
    assert renewal.judge(renewal.RenewalEvidence()).outcome == "warn"


def test_cert_manager_names() -> None:
    ingress = ("kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: web\n"
               "  annotations: {cert-manager.io/cluster-issuer: le}\n"
               "spec:\n  tls: [{hosts: ['*.example.test'], secretName: w}]\n")
    assert certmanager.renewing([("k/i.yaml", ingress)], "api.example.test") == \
        ["k/i.yaml: Ingress web"]
    assert certmanager.renewing([("k/i.yaml", ingress)], "a.b.example.test") == []
    assert certmanager.renewing([("c.yaml", CERTIFICATE)], "shop.example.test") == \
        ["c.yaml: Certificate shop"]
    assert certmanager.renewing([("bad.yaml", "a: [")], "x") == []


def _config(live: LiveLab) -> dict[str, object]:
    return {"hosts": live.entries(), "endpoints": [
        {"name": "web1", "url": "https://m1.example.test/", "host": "m1"},
        {"name": "web2", "url": "https://m2.example.test/", "host": "m2"},
        {"name": "shop", "url": "https://shop.example.test/"},
        {"name": "bare", "url": "https://bare.example.test/"}]}


def test_renewal_confirmed_on_hosts_and_by_cert_manager(live: LiveLab,
                                                        pytester: pytest.Pytester) -> None:
    (pytester.path / "k8s").mkdir()
    (pytester.path / "k8s" / "certificate.yaml").write_text(CERTIFICATE)
    record = run_live(pytester, _config(live), "tls", extra=("-k", "renews_automatically"))
    web1 = check_of(record, CHECK, "web1")
    assert web1["outcome"] == "pass", web1["message"]
    assert web1["evidence"]["cron"] == {"/etc/cron.d/certbot": [
        "0 */12 * * * root certbot -q renew"]}
    web2 = check_of(record, CHECK, "web2")
    assert web2["outcome"] == "warn"
    assert web2["message"].startswith("web2 on m2: cannot confirm automatic renewal")
    shop = check_of(record, CHECK, "shop")
    assert shop["outcome"] == "pass", shop["message"]
    assert shop["evidence"]["cert_manager"] == ["k8s/certificate.yaml: Certificate shop"]
    bare = check_of(record, CHECK, "bare")
    assert bare["outcome"] == "warn"
    assert "endpoints[].host does not name the host that renews it" in bare["message"]


def test_a_disabled_renewal_timer_fails(live: LiveLab, pytester: pytest.Pytester) -> None:
    stub = live.bin("m2") / "systemctl"
    stub.write_text(DISABLED_TIMER)
    stub.chmod(0o755)
    try:
        record = run_live(pytester, _config(live), "tls", extra=("-k", "renews_automatically"))
    finally:
        stub.unlink()
    web2 = check_of(record, CHECK, "web2")
    assert web2["outcome"] == "fail"
    assert web2["message"] == ("web2 on m2: renewal timer installed but not running: "
                               "certbot.timer (disabled/inactive)")
    assert web2["evidence"]["timers"] == {"certbot.timer": "disabled/inactive"}
