"""HTTP security headers: HSTS, nosniff, framing, Referrer-Policy, CSP, CORS, HTTPS redirect.

Each endpoint's response is fetched once per session (probes/netpool.py) and read
by every check; the request carries an ``Origin`` of an unknown site so that a
reflected CORS policy shows itself.
"""

from __future__ import annotations

import pytest

from pytest_readiness import CheckError, Context, Recorder
from pytest_readiness.config import Endpoint
from pytest_readiness.plumbing import netpool
from pytest_readiness.plumbing.netpool import ProbeFailure, ProbeTimeout
from pytest_readiness.probes.network import http

pytestmark = pytest.mark.readiness(section="HTTP Security Headers", category="security")


def _fetcher(pool: netpool.NetPool) -> netpool.Probe:
    def fetch(endpoint: Endpoint) -> http.Response:
        return pool.call(endpoint.url, endpoint.name, lambda: http.fetch(
            endpoint.url, endpoint.timeout, endpoint.tls.ca_bundle, endpoint.name,
            headers={"Origin": http.PROBE_ORIGIN}))
    return fetch


def _headers_on(endpoint: Endpoint) -> None:
    if not endpoint.headers:
        pytest.skip(f"not applicable: header checks are off for {endpoint.name} (headers: false)")


@pytest.fixture
def http_response(endpoint: Endpoint, readiness_context: Context,
                  readiness: Recorder) -> http.Response:
    """The endpoint's response (fetched once per session for every header check), or an
    error naming the phase; an endpoint with ``headers: false`` is not applicable."""
    _headers_on(endpoint)
    pool = netpool.pool_for(readiness_context)
    pool.register("headers", _fetcher(pool), readiness_context.config.endpoints)
    try:
        response: http.Response = pool.get("headers", endpoint, wait=endpoint.timeout + 5)
    except (ProbeTimeout, ProbeFailure) as exc:
        raise CheckError(str(exc)) from None
    readiness.evidence(status=response.status)
    return response


@pytest.fixture
def https_response(endpoint: Endpoint, request: pytest.FixtureRequest) -> http.Response:
    """The same, for checks of HTTPS only: a plain HTTP endpoint is not applicable."""
    _headers_on(endpoint)
    if not endpoint.url.startswith("https://"):
        pytest.skip(f"not applicable: {endpoint.name} is plain HTTP (see http.redirect-https)")
    response: http.Response = request.getfixturevalue("http_response")
    return response


def _header_evidence(readiness: Recorder, response: http.Response,
                     *names: str) -> dict[str, str | None]:
    values = {n: response.header(n) for n in names}
    readiness.evidence(headers={n: http.truncate(v) if v else None for n, v in values.items()})
    return values


@pytest.mark.readiness(id="http.hsts", severity="high",
                       fix='Send "Strict-Transport-Security: max-age=31536000; '
                           'includeSubDomains" on every HTTPS response')
def test_hsts_at_least_a_year(https_response: http.Response, readiness: Recorder) -> None:
    """Strict-Transport-Security is sent with max-age of at least one year."""
    response = https_response
    value = _header_evidence(readiness, response, "Strict-Transport-Security")[
        "Strict-Transport-Security"]
    max_age = http.hsts_max_age(value)
    flags = http.directives(value)
    readiness.evidence(max_age=max_age, include_subdomains="includesubdomains" in flags,
                       preload="preload" in flags)
    assert value, "no Strict-Transport-Security header"
    assert max_age is not None and max_age >= http.ONE_YEAR, (
        f"Strict-Transport-Security max-age is {max_age}, expected >= {http.ONE_YEAR}")


@pytest.mark.readiness(id="http.nosniff", severity="medium",
                       fix='Send "X-Content-Type-Options: nosniff"')
def test_content_type_nosniff(endpoint: Endpoint, http_response: http.Response,
                              readiness: Recorder) -> None:
    """X-Content-Type-Options is nosniff."""
    response = http_response
    value = _header_evidence(readiness, response, "X-Content-Type-Options")[
        "X-Content-Type-Options"]
    assert (value or "").strip().lower() == "nosniff", \
        f"X-Content-Type-Options is {value!r}, expected 'nosniff'"


@pytest.mark.readiness(id="http.framing", severity="medium",
                       fix='Send "X-Frame-Options: DENY" (or SAMEORIGIN), or a CSP with '
                           "frame-ancestors 'none' / 'self'")
def test_framing_denied(endpoint: Endpoint, http_response: http.Response,
                        readiness: Recorder) -> None:
    """X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors stops clickjacking."""
    response = http_response
    values = _header_evidence(readiness, response, "X-Frame-Options", "Content-Security-Policy")
    assert http.framing_protected(response.headers), (
        f"framing not restricted: X-Frame-Options {values['X-Frame-Options']!r}, "
        f"frame-ancestors {http.csp_frame_ancestors(values['Content-Security-Policy'])!r}")


@pytest.mark.readiness(id="http.referrer-policy", severity="low",
                       fix='Send "Referrer-Policy: strict-origin-when-cross-origin" '
                           "(or stricter)")
def test_referrer_policy(endpoint: Endpoint, http_response: http.Response,
                         readiness: Recorder) -> None:
    """A Referrer-Policy header is sent (and is not unsafe-url)."""
    response = http_response
    value = _header_evidence(readiness, response, "Referrer-Policy")["Referrer-Policy"]
    assert value, "no Referrer-Policy header"
    assert "unsafe-url" not in value.lower(), f"Referrer-Policy is {value!r}"


@pytest.mark.readiness(id="http.csp", severity="medium",
                       fix="Send a Content-Security-Policy (start with default-src 'self')")
def test_content_security_policy(endpoint: Endpoint, http_response: http.Response,
                                 readiness: Recorder) -> None:
    """A Content-Security-Policy header is sent."""
    response = http_response
    value = _header_evidence(readiness, response, "Content-Security-Policy")[
        "Content-Security-Policy"]
    assert value and value.strip(), "no Content-Security-Policy header"


@pytest.mark.readiness(id="http.cors", severity="high",
                       fix="Never combine Access-Control-Allow-Credentials: true with a "
                           "wildcard or reflected origin: list the allowed origins")
def test_cors_not_open_with_credentials(endpoint: Endpoint, http_response: http.Response,
                                        readiness: Recorder) -> None:
    """CORS does not let any site make credentialed requests."""
    response = http_response
    _header_evidence(readiness, response, "Access-Control-Allow-Origin",
                     "Access-Control-Allow-Credentials")
    readiness.evidence(probe_origin=http.PROBE_ORIGIN)
    problem = http.cors_problem(response.headers)
    assert problem is None, problem


@pytest.mark.readiness(id="http.redirect-https", severity="high",
                       fix="Answer plain HTTP with a 301/308 redirect to the https:// URL")
def test_http_redirects_to_https(endpoint: Endpoint, readiness_context: Context,
                                 readiness: Recorder) -> None:
    """Plain HTTP redirects to HTTPS."""
    if not endpoint.redirect_http:
        pytest.skip(f"not applicable: redirect_http is false for {endpoint.name}")
    url = endpoint.url if endpoint.url.startswith("http://") else \
        endpoint.http_url or http.plain_http_url(endpoint.url)
    try:
        response = netpool.pool_for(readiness_context).call(url, endpoint.name, lambda: http.fetch(
            url, endpoint.timeout, target=f"{endpoint.name} ({url})"))
    except (ProbeTimeout, ProbeFailure) as exc:
        raise CheckError(str(exc)) from None
    location = http.redirect_target(response)
    readiness.evidence(http_url=url, status=response.status,
                       location=http.truncate(location) if location else None)
    assert location and location.startswith("https://"), (
        f"{url} answers {response.status}"
        + (f" redirecting to {http.truncate(location)}" if location else " without redirect")
        + ", expected a redirect to https://")
