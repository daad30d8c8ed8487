"""The same calls against every gRPC app, reduced to stable facts (status code names).

Before the app is imported, ``Bindings`` wraps what would listen or dial out: ports are
recorded as asked (``secure [::]``) and bound on 127.0.0.1:0 instead; channels are
recorded (``insecure inventory...:50051``) and pointed at a closed loopback port; the
metrics server is recorded and started on 127.0.0.1:0 with the TLS options it was given.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.frameworks.harness.context import Secrets, token_facts

NOWHERE = "127.0.0.1:9"


@dataclass
class Bindings:
    ports: list[str] = field(default_factory=list)  # "secure [::]", as the app asked
    bound: list[tuple[str, int]] = field(default_factory=list)  # ("secure", port) really bound
    channels: list[str] = field(default_factory=list)
    metrics_port: int | None = None
    real: dict[str, Any] = field(default_factory=dict)  # the unwrapped channel factories

    def install(self) -> None:
        import grpc
        import grpc.aio
        import prometheus_client
        import prometheus_client.exposition
        from grpc import _server
        from grpc.aio import _server as aio_server

        self._wrap_ports(_server._Server)
        self._wrap_ports(aio_server.Server)
        for module in (grpc, grpc.aio):
            self._wrap_channel(module, "secure_channel", "secure")
            self._wrap_channel(module, "insecure_channel", "insecure")
        real_start = prometheus_client.exposition.start_http_server
        bindings = self

        def start_http_server(port: int, addr: str = "0.0.0.0", *args: Any, **kwargs: Any) -> Any:
            server, thread = real_start(0, "127.0.0.1", *args, **kwargs)
            bindings.metrics_port = server.server_port
            return server, thread

        prometheus_client.start_http_server = start_http_server
        prometheus_client.exposition.start_http_server = start_http_server

    def _wrap_ports(self, server_class: Any) -> None:
        bindings = self
        real_secure, real_insecure = server_class.add_secure_port, server_class.add_insecure_port

        def add_secure_port(server: Any, address: str, credentials: Any) -> int:
            bindings.ports.append(f"secure {address.rsplit(':', 1)[0]}")
            port = real_secure(server, "127.0.0.1:0", credentials)
            bindings.bound.append(("secure", port))
            return port

        def add_insecure_port(server: Any, address: str) -> int:
            bindings.ports.append(f"insecure {address.rsplit(':', 1)[0]}")
            port = real_insecure(server, "127.0.0.1:0")
            bindings.bound.append(("insecure", port))
            return port

        server_class.add_secure_port = add_secure_port
        server_class.add_insecure_port = add_insecure_port

    def _wrap_channel(self, module: Any, name: str, kind: str) -> None:
        real = getattr(module, name)
        self.real.setdefault(name, real)
        channels = self.channels

        def channel(target: str, *args: Any, **kwargs: Any) -> Any:
            channels.append(f"{kind} {target}")
            return real(NOWHERE, *args, **kwargs)

        setattr(module, name, channel)


def scrape(port: int | None, cert: Path, key: Path) -> tuple[object, object, str | None]:
    """(status without a client certificate, status with one, media type) of /metrics."""
    if port is None:
        return "not started", "not started", None

    def get(client_cert: bool) -> tuple[object, str | None]:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        if client_cert:
            context.load_cert_chain(cert, key)
        for conn in (http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context),
                     http.client.HTTPConnection("127.0.0.1", port, timeout=5)):
            try:
                conn.request("GET", "/metrics")
                response = conn.getresponse()
                response.read()
                return response.status, response.getheader("Content-Type", "").split(";")[0]
            except (OSError, http.client.HTTPException):
                continue
            finally:
                conn.close()
        return "refused", None

    anonymous, _ = get(False)
    with_cert, media_type = get(True)
    return anonymous, with_cert, media_type


def observe_grpc(bindings: Bindings, protos: Any, keys: Secrets, cert: Path, key: Path,
                 break_dependencies: Callable[[], None]) -> dict[str, Any]:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    messages, services = protos.messages, protos.services
    kind, port = bindings.bound[0]
    target = f"127.0.0.1:{port}"
    if kind == "secure":
        channel = bindings.real["secure_channel"](
            target, grpc.ssl_channel_credentials(root_certificates=cert.read_bytes()),
            options=[("grpc.ssl_target_name_override", "localhost")])
    else:
        channel = bindings.real["insecure_channel"](target)
    catalog, auth = services.CatalogStub(channel), services.AuthStub(channel)
    admin, health = services.AdminStub(channel), health_pb2_grpc.HealthStub(channel)

    def call(method: Callable[..., Any], request: Any, token: str | None = None) -> tuple[str, Any]:
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        try:
            return "OK", method(request, metadata=metadata, timeout=10)
        except grpc.RpcError as exc:
            return exc.code().name, None

    def login(username: str, password: str) -> tuple[str, str | None]:
        code, reply = call(auth.Login, messages.LoginRequest(username=username, password=password))
        token = reply.access_token if reply is not None else None
        if token:
            keys.issued.append(token)
        return code, token

    def health_status() -> str:
        code, reply = call(health.Check, health_pb2.HealthCheckRequest())
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status) if reply else code

    facts: dict[str, Any] = {"ports": sorted(bindings.ports),
                             "channels": sorted(bindings.channels)}
    facts["health"] = health_status()
    facts["login"], token = login("ada", keys.user_password)
    facts.update(token_facts(token, keys.jwt_keys))
    _, admin_token = login("grace", keys.admin_password)
    facts["default_admin_login"] = login("admin", "admin")[0]
    facts["api_auth"] = call(catalog.ListItems, messages.ListItemsRequest(), token)[0]
    facts["api_anon"] = call(catalog.ListItems, messages.ListItemsRequest())[0]
    facts["item"] = call(catalog.GetItem, messages.GetItemRequest(id=1), token)[0]
    facts["create"] = call(catalog.CreateItem, messages.CreateItemRequest(
        sku="SKU-9", name="washer", quantity=3), token)[0]
    facts["admin_anon"] = call(admin.ListUsers, messages.ListUsersRequest())[0]
    facts["admin_user"] = call(admin.ListUsers, messages.ListUsersRequest(), token)[0]
    facts["admin_admin"] = call(admin.ListUsers, messages.ListUsersRequest(), admin_token)[0]
    facts["login_as_anon"] = call(auth.LoginAs, messages.LoginAsRequest(username="grace"))[0]
    facts["metrics_anon"], facts["metrics"], facts["metrics_type"] = scrape(
        bindings.metrics_port, cert, key)
    facts["logout"] = call(auth.Logout, messages.LogoutRequest(), token)[0]
    facts["revoked_token_reuse"] = call(catalog.ListItems, messages.ListItemsRequest(), token)[0]
    break_dependencies()
    facts["health_failing"] = health_status()
    channel.close()
    return facts
