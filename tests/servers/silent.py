"""Misbehaving peers on 127.0.0.1: they accept and then never finish anything.

- ``silent``: accepts TCP connections and never sends a byte (a hung service).
- ``stalled_tls``: reads the ClientHello and never answers it (a TLS stack stuck
  mid-handshake).
- ``trickle_http``: answers HTTP one byte per second, forever (a slow-loris
  response that defeats per-read timeouts).
Each peer runs in daemon threads and stops when ``stop()`` closes its listener.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

TRICKLE_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + b"X-Padding: " + b"a" * 4096 + b"\r\n\r\nok")


class MisbehavingPeer:
    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.stopped = threading.Event()
        self.accepted = 0
        self._behaviour = behaviour
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._connections.append(conn)
            threading.Thread(target=self._behaviour, args=(conn, self.stopped),
                             daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for conn in self._connections:
            try:
                conn.close()
            except OSError:
                pass


def _say_nothing(conn: socket.socket, stopped: threading.Event) -> None:
    stopped.wait()


def _read_hello_then_stall(conn: socket.socket, stopped: threading.Event) -> None:
    try:
        conn.recv(65536)  # the ClientHello, never answered
    except OSError:
        return
    stopped.wait()


def _trickle(conn: socket.socket, stopped: threading.Event) -> None:
    try:
        conn.recv(65536)  # the request
        for byte in TRICKLE_RESPONSE:
            if stopped.wait(1.0):
                return
            conn.sendall(bytes([byte]))
    except OSError:
        return


def silent() -> MisbehavingPeer:
    return MisbehavingPeer(_say_nothing)


def stalled_tls() -> MisbehavingPeer:
    return MisbehavingPeer(_read_hello_then_stall)


def trickle_http() -> MisbehavingPeer:
    return MisbehavingPeer(_trickle)


