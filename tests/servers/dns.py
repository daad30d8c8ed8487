"""dnsmasq on 127.0.0.1 on a free port, serving only the records a test defines."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import dns.resolver

from tests.servers.sshd import free_port

DNSMASQ = "/usr/sbin/dnsmasq"


class Dnsmasq:
    def __init__(self, binary: str, records: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        hosts = workdir / "dnsmasq.hosts"
        hosts.write_text("".join(f"{ip} {name}\n" for name, ip in records.items()))
        self.args = [binary, "--no-daemon", "--keep-in-foreground", f"--port={self.port}",
                     "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
                     "--no-hosts", f"--addn-hosts={hosts}", "--user=root", "--pid-file=",
                     "--log-facility=-", "--local=/test/"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Dnsmasq:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        res = dns.resolver.Resolver(configure=False)
        res.nameservers, res.port, res.lifetime = ["127.0.0.1"], self.port, 0.5
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.process.stderr.read().decode()}")
            try:
                res.resolve("probe.invalid.test", "A")
            except dns.resolver.NXDOMAIN:
                return self
            except Exception:
                time.sleep(0.1)
                continue
            return self
        raise RuntimeError("dnsmasq did not answer")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
