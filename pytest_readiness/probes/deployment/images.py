"""Which user a container image runs as, when its Dockerfile is not in the tree.

A small table, on purpose: each row is an image family whose default user is
documented by its maintainers. Anything else is ``unknown``, never guessed.

Non-root by default:

- ``gcr.io/distroless/*`` with a ``nonroot`` tag (``:nonroot``, ``:debug-nonroot``): 65532
- ``cgr.dev/chainguard/*``: 65532 (nonroot)
- ``grafana/k6``: 12345 (k6); ``grafana/grafana``: 472
- ``prom/prometheus``, ``prom/alertmanager``, ``prom/node-exporter`` (also
  ``quay.io/prometheus/*``): nobody
- ``jaegertracing/*`` (also on quay.io), ``otel/opentelemetry-collector*``: 10001
- ``bitnami/*``: 1001
- ``opensearchproject/opensearch*``, ``docker.elastic.co/elasticsearch/*``: 1000
- ``nginxinc/nginx-unprivileged``: 101

Root, then the official entrypoint drops to the service user (gosu / su-exec):
``postgres``, ``postgis/postgis``, ``redis``, ``valkey/valkey`` (also on ghcr.io),
``mysql``, ``mariadb``, ``mongo``, ``rabbitmq``.

Root: ``python``, ``node``, ``golang``, ``ruby``, ``rust``, ``php``, ``openjdk``,
``eclipse-temurin``, ``amazoncorretto``, ``gradle``, ``maven``, ``debian``, ``ubuntu``,
``alpine``, ``busybox``, ``nginx``, ``httpd``, ``traefik``, ``oven/bun``,
``mcr.microsoft.com/dotnet/*``, ``scratch``, and distroless images of other tags.

"drops root" holds only while the image's own entrypoint runs: a service or stage
that replaces the entrypoint, or a ``user:`` of root, gets no such guarantee. No pytest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NON_ROOT, DROPS_ROOT, ROOT, UNKNOWN = "non-root", "drops root", "root", "unknown"


@dataclass(frozen=True)
class ImageUser:
    """How an image runs: ``kind`` is non-root, drops root, root or unknown."""

    kind: str
    user: str | None  # the user, when known
    why: str

    @property
    def runs_as_root(self) -> bool | None:
        """True / False when known (an entrypoint that drops root counts as non-root)."""
        if self.kind == UNKNOWN:
            return None
        return self.kind == ROOT


@dataclass(frozen=True)
class Row:
    repository: re.Pattern[str]
    tag: re.Pattern[str] | None
    kind: str
    user: str | None
    why: str


def _row(repository: str, kind: str, user: str | None, why: str, tag: str | None = None) -> Row:
    return Row(re.compile(repository), re.compile(tag) if tag else None, kind, user, why)


OFFICIAL_ROOT = ("python", "node", "golang", "ruby", "rust", "php", "openjdk", "eclipse-temurin",
                 "amazoncorretto", "gradle", "maven", "debian", "ubuntu", "alpine", "busybox",
                 "nginx", "httpd", "traefik", "centos", "fedora", "rockylinux", "almalinux",
                 "amazonlinux", "buildpack-deps")
DROPS = ("postgres", "redis", "mysql", "mariadb", "mongo", "rabbitmq")
TABLE: tuple[Row, ...] = (
    _row(r"^gcr\.io/distroless/", NON_ROOT, "65532", "distroless nonroot tag", tag=r"nonroot"),
    _row(r"^gcr\.io/distroless/", ROOT, "0", "distroless images without a nonroot tag run as "
         "root"),
    _row(r"^cgr\.dev/chainguard/", NON_ROOT, "65532", "Chainguard images run as nonroot"),
    _row(r"^grafana/k6$", NON_ROOT, "12345", "grafana/k6 runs as user k6 (12345)"),
    _row(r"^grafana/grafana(-oss|-enterprise)?$", NON_ROOT, "472", "grafana runs as 472"),
    _row(r"^(quay\.io/)?prom(etheus)?/(prometheus|alertmanager|node-exporter)$", NON_ROOT, "nobody",
         "Prometheus images run as nobody"),
    _row(r"^(quay\.io/)?jaegertracing/", NON_ROOT, "10001", "Jaeger images run as 10001"),
    _row(r"^otel/opentelemetry-collector", NON_ROOT, "10001", "the collector runs as 10001"),
    _row(r"^bitnami/", NON_ROOT, "1001", "Bitnami images run as 1001"),
    _row(r"^(opensearchproject/opensearch|docker\.elastic\.co/elasticsearch/)", NON_ROOT,
         "1000", "runs as its own user (1000)"),
    _row(r"^nginxinc/nginx-unprivileged$", NON_ROOT, "101", "the unprivileged nginx image"),
    _row(r"^(postgis/postgis|valkey/valkey|ghcr\.io/valkey-io/valkey|" + "|".join(DROPS) + ")$",
         DROPS_ROOT, None, "the official entrypoint drops root to the service user"),
    _row(r"^(oven/bun|mcr\.microsoft\.com/dotnet/.*|scratch|" + "|".join(OFFICIAL_ROOT) + ")$",
         ROOT, "root", "the image's default user is root"),
)


def reference(image: str) -> tuple[str, str]:
    """(repository, tag) of an image reference, Docker Hub names normalised:
    ``docker.io/library/postgres:16@sha256:..`` -> (``postgres``, ``16``)."""
    image = image.strip().split("@", 1)[0]
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    name = name.removeprefix("library/")
    return name.lower(), tag.lower()


def user_of(image: str | None) -> ImageUser:
    """How ``image`` runs by default, from :data:`TABLE`; unknown when not listed."""
    if not image or "$" in image:
        return ImageUser(UNKNOWN, None, "the image is not known here")
    repository, tag = reference(image)
    for row in TABLE:
        if row.repository.search(repository) and (row.tag is None or row.tag.search(tag)):
            return ImageUser(row.kind, row.user, f"{repository}: {row.why}")
    return ImageUser(UNKNOWN, None, f"{repository}: not in the table of known images")
