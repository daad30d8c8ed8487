"""A gRPC server on 127.0.0.1 with grpc.health.v1 (grpcio-health-checking)."""

from __future__ import annotations

from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


class HealthServer:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.health = health.HealthServicer()
        for service, status in statuses.items():
            self.health.set(service, health_pb2.HealthCheckResponse.ServingStatus.Value(status))
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=None)
