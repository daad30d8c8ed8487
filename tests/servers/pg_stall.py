"""A PostgreSQL-protocol peer on 127.0.0.1 that lets a client in, then never answers.

It speaks just enough of the v3 protocol to complete a connection: it declines
SSL/GSS encryption requests (``N``), accepts the startup message without a
password (AuthenticationOk, a few ParameterStatus, BackendKeyData,
ReadyForQuery), then reads every query and answers none. A client that trusts
the server's ``statement_timeout`` waits forever: only a client-side deadline
ends the wait (issue 19, item 10).
"""

from __future__ import annotations

import socket
import struct
import threading

from tests.servers.silent import MisbehavingPeer

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def _message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _accept_then_stall(conn: socket.socket, stopped: threading.Event) -> None:
    try:
        while True:  # untyped messages: SSLRequest / GSSENCRequest / CancelRequest / startup
            length, code = struct.unpack("!II", _read_exact(conn, 8))
            _read_exact(conn, max(length - 8, 0))
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                conn.sendall(b"N")
                continue
            if code == CANCEL_REQUEST:  # a cancel is never honoured either
                stopped.wait()
                return
            break
        hello = _message(b"R", struct.pack("!I", 0))  # AuthenticationOk
        for name, value in (("server_version", "16.0"), ("client_encoding", "UTF8"),
                            ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"),
                            ("standard_conforming_strings", "on")):
            hello += _message(b"S", name.encode() + b"\0" + value.encode() + b"\0")
        hello += _message(b"K", struct.pack("!II", 4242, 4242))
        hello += _message(b"Z", b"I")  # ReadyForQuery, idle
        conn.sendall(hello)
        while not stopped.is_set():  # queries arrive and are never answered
            if not conn.recv(65536):
                return
    except OSError:
        return


def stalled_postgres() -> MisbehavingPeer:
    """A started peer; ``.port`` to connect, ``.stop()`` to end it."""
    return MisbehavingPeer(_accept_then_stall)
