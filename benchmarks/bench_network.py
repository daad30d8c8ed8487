"""Network probes: 50 TLS endpoints and 50 DNS names, sequential vs concurrent (NetPool).

Everything runs on 127.0.0.1: 50 HTTPS servers with certificates generated here, and
one DNS server (dnspython over UDP) answering A records for names under
``bench.localhost``. Loopback has no round-trip time, so each server waits ``--rtt``
milliseconds before answering, to model the network a real audit crosses.

Rerun:  python benchmarks/bench_network.py [--endpoints 50] [--names 50] [--rtt 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import dns.message
import dns.resolver
import dns.rrset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_readiness.plumbing import netpool  # noqa: E402
from pytest_readiness.probes.network import tls
from tests.servers.http import Route, TestHttpServer  # noqa: E402
from tests.servers.tls import Pki, server_context  # noqa: E402


class SlowTlsServer(TestHttpServer):
    """An HTTPS server whose every connection waits ``rtt`` before the handshake."""

    rtt = 0.0

    def process_request_thread(self, request, client_address):  # type: ignore[override]
        time.sleep(self.rtt)
        super().process_request_thread(request, client_address)


def start_dns(rtt: float) -> tuple[int, threading.Event]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(data: bytes, peer: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        name = query.question[0].name
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "127.0.0.1"))
        time.sleep(rtt)
        sock.sendto(reply.to_wire(), peer)

    def serve() -> None:
        while not stop.is_set():
            data, peer = sock.recvfrom(4096)
            threading.Thread(target=answer, args=(data, peer), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return int(sock.getsockname()[1]), stop


def resolve(name: str, port: int, timeout: float) -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    return [r.to_text() for r in resolver.resolve(name, "A", lifetime=timeout)]


def timed(label: str, work) -> float:
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    print(f"  {label:<44} {elapsed:8.3f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--names", type=int, default=50)
    parser.add_argument("--rtt", type=float, default=50.0, help="simulated RTT, ms")
    parser.add_argument("--workers", type=int, default=netpool.DEFAULT_WORKERS)
    args = parser.parse_args()
    rtt = args.rtt / 1000

    pki = Pki.create(Path(tempfile.mkdtemp(prefix="bench-tls-")))
    cert, key = pki.write("bench", pki.leaf())
    SlowTlsServer.rtt = rtt
    servers = []
    for _ in range(args.endpoints):
        server = SlowTlsServer({"*": Route()}, tls=server_context(cert, key))
        server.start()
        servers.append(server)
    urls = [s.url() for s in servers]
    ca = str(pki.ca_bundle)
    dns_port, _ = start_dns(rtt)
    names = [f"host{i}.bench.localhost" for i in range(args.names)]

    def probe(url: str) -> tls.TlsReport:
        return tls.probe_endpoint(url, 10, ca)

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; simulated RTT {args.rtt:g} ms; "
          f"NetPool workers {args.workers}")
    print(f"TLS: {args.endpoints} endpoints, each: chain + verify + 4 protocol handshakes")
    one = timed("one endpoint", lambda: probe(urls[0]))
    seq = timed("sequential", lambda: [probe(u) for u in urls])
    pool = netpool.NetPool(args.workers)
    pool.register("tls", probe, urls)
    conc = timed("concurrent (NetPool)", lambda: [pool.get("tls", u) for u in urls])
    pool.close()
    print(f"  speed-up {seq / conc:.1f}x; concurrent = {conc / one:.1f}x one endpoint "
          "(target <= 3x)")

    print(f"DNS: {args.names} names against a local resolver")
    one_dns = timed("one name", lambda: resolve(names[0], dns_port, 5))
    seq_dns = timed("sequential", lambda: [resolve(n, dns_port, 5) for n in names])
    pool = netpool.NetPool(args.workers)
    pool.register("dns", lambda n: resolve(n, dns_port, 5), names)
    conc_dns = timed("concurrent (NetPool)", lambda: [pool.get("dns", n) for n in names])
    pool.close()
    print(f"  speed-up {seq_dns / conc_dns:.1f}x; concurrent = {conc_dns / one_dns:.1f}x one name")
    for server in servers:
        server.stop()


if __name__ == "__main__":
    main()
