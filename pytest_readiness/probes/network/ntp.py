"""An SNTP client (RFC 4330): one request, the reply checked (server mode, non-zero
stratum, our transmit time echoed back), offset and delay computed from the four
timestamps. Used by the clock checks (probes/hosts/clock.py) and fleet drift.
"""

from __future__ import annotations

import math
import socket
import struct
import time
from dataclasses import dataclass

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_PACKET = struct.Struct("!BBbb11I")


class NtpError(Exception):
    """The server did not answer, or answered something that is not NTP."""


@dataclass(frozen=True)
class NtpSample:
    server: str
    offset_s: float  # server clock minus ours
    delay_s: float
    stratum: int


def _to_ntp(seconds: float) -> tuple[int, int]:
    whole = math.floor(seconds)
    return (whole + NTP_EPOCH_OFFSET) & 0xFFFFFFFF, int((seconds - whole) * 2**32) & 0xFFFFFFFF


def _from_ntp(whole: int, frac: int) -> float:
    if not whole & 0x80000000:
        whole += 2**32  # RFC 4330 section 3: with the high bit clear, the time is after 2036
    return whole - NTP_EPOCH_OFFSET + frac / 2**32


def split_server(server: str, default_port: int = 123) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` -> (host, port)."""
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, default_port


def sntp_query(server: str, timeout: float) -> NtpSample:
    """Ask one NTP server for the time; the offset is its clock minus ours."""
    host, port = split_server(server)
    request = bytearray(48)
    request[0] = (0 << 6) | (4 << 3) | 3  # no leap warning, version 4, client mode
    t1 = time.time()
    sent_whole, sent_frac = _to_ntp(t1)
    struct.pack_into("!II", request, 40, sent_whole, sent_frac)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(bytes(request), address)
            data, _ = sock.recvfrom(512)
    except TimeoutError:
        raise NtpError(f"NTP server {server}: no answer within {timeout:g}s") from None
    except OSError as exc:
        raise NtpError(f"NTP server {server}: {exc.strerror or exc}") from None
    t4 = time.time()
    return parse_reply(server, data, (sent_whole, sent_frac), t1, t4)


def parse_reply(server: str, data: bytes, sent: tuple[int, int], t1: float,
                t4: float) -> NtpSample:
    """Check and decode an SNTP reply to the request sent at ``t1`` (received at ``t4``)."""
    if len(data) < 48:
        raise NtpError(f"NTP server {server}: reply of {len(data)} bytes is not NTP")
    fields = _PACKET.unpack_from(data)
    mode, stratum = fields[0] & 0x7, fields[1]
    if mode not in (4, 5):
        raise NtpError(f"NTP server {server}: reply in mode {mode}, not server mode")
    if stratum == 0:
        code = data[12:16].decode("ascii", "replace")
        raise NtpError(f"NTP server {server}: kiss-o'-death {code!r} (stratum 0)")
    # fields: header bytes (0-3), root delay, root dispersion, reference id (4-6),
    # reference (7-8), originate (9-10), receive (11-12), transmit (13-14) timestamps.
    originate = (fields[9], fields[10])
    if originate != sent:
        raise NtpError(f"NTP server {server}: reply does not echo our request (spoofed or stale)")
    t2 = _from_ntp(fields[11], fields[12])
    t3 = _from_ntp(fields[13], fields[14])
    offset = ((t2 - t1) + (t3 - t4)) / 2
    delay = (t4 - t1) - (t3 - t2)
    return NtpSample(server, offset, max(delay, 0.0), stratum)


def spread_ms(samples: list[NtpSample]) -> float:
    """How far apart the servers' clocks are: the largest offset minus the smallest (ms)."""
    if len(samples) < 2:
        return 0.0
    offsets = [s.offset_s for s in samples]
    return (max(offsets) - min(offsets)) * 1000
