"""A small SNTP server on 127.0.0.1 whose clock is shifted by a chosen offset.

It answers every client request the way an NTP server does (RFC 4330 server
mode, stratum 2, the client's transmit time echoed), reading this machine's
clock plus ``offset_s``, so the probe measures that offset over real UDP.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from pytest_readiness.probes.network.ntp import _to_ntp


class SntpServer:
    def __init__(self, offset_s: float = 0.0, silent: bool = False) -> None:
        self.offset_s = offset_s
        self.silent = silent  # receives and never answers (a server that hangs)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> SntpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.silent or len(data) < 48:
                continue
            received = time.time() + self.offset_s
            reply = bytearray(48)
            reply[0] = (0 << 6) | (4 << 3) | 4
            reply[1], reply[2], reply[3] = 2, 6, -20 & 0xFF
            reply[12:16] = b"\x7f\x00\x00\x01"
            reply[24:32] = data[40:48]  # originate = the client's transmit time
            struct.pack_into("!II", reply, 16, *_to_ntp(received))  # reference time
            struct.pack_into("!II", reply, 32, *_to_ntp(received))
            struct.pack_into("!II", reply, 40, *_to_ntp(time.time() + self.offset_s))
            self.sock.sendto(bytes(reply), peer)


class ChronyServer:
    """A real chronyd serving NTP on 127.0.0.1:PORT, never touching this machine's clock.

    ``-x`` disables clock control; ``local stratum 8`` makes it serve its own clock;
    ``cmdport 0`` opens no control socket. Started and waited for in ``__enter__``.
    """

    def __init__(self, directory: str, chronyd: str = "/usr/sbin/chronyd") -> None:
        import pathlib

        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "chrony.conf"
        self.conf.write_text(
            f"port {self.port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\n"
            f"pidfile {self.dir / 'chronyd.pid'}\ncmdport 0\n")
        self.chronyd = chronyd
        self.log = self.dir / "chronyd.log"
        self.proc: object = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ChronyServer:
        import subprocess

        from pytest_readiness.probes.network import ntp

        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [self.chronyd, "-d", "-x", "-u", "root", "-f", str(self.conf)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                ntp.sntp_query(self.address, 0.5)
                return self
            except ntp.NtpError:
                gone = self.proc.poll() is not None  # type: ignore[attr-defined]
                if time.monotonic() > deadline or gone:
                    self.__exit__()
                    raise RuntimeError(
                        f"chronyd did not serve NTP: {self.log.read_text()[-500:]}") from None
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()  # type: ignore[attr-defined]
            self.proc.wait(10)  # type: ignore[attr-defined]
