"""Bounded time and shared concurrency for network probes. No pytest here.

Two things every network probe needs:

- **A deadline per target.** A per-call socket timeout does not bound a peer that
  trickles one byte per second, so probes carry a :class:`Deadline` (one budget
  for the whole operation) and raise :class:`ProbeTimeout` naming the target and
  the phase (connect / handshake / read) when it runs out.
- **One gathering per session.** Endpoint-level facts (TLS handshake and
  certificate chain, HTTP headers, latency samples, DNS answers) are read by
  several checks. :class:`NetPool` runs each ``(kind, target)`` probe once, in a
  bounded thread pool, and the first time any probe of a kind is asked for it
  submits that kind for *every* target at once, so 50 endpoints cost about as much
  as the slowest few instead of their sum. Results (or the exception) are shared by
  every check that reads them.
- **A dead target costs its timeout once.** :class:`DeadTargets` remembers an
  address (host and port) that timed out, or refused the connection, before it
  ever answered in this session; every later probe of it fails at once with
  :class:`DeadTarget`, naming that first failure. An address that answered once
  is never marked dead by a later timeout (a slow request is not a dead server).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

DEFAULT_WORKERS = 32


class ProbeTimeout(TimeoutError):
    """A target did not answer in time; says which target and in which phase."""

    def __init__(self, target: str, phase: str, seconds: float) -> None:
        super().__init__(f"{target}: {phase} timed out after {seconds:g}s")
        self.target = target
        self.phase = phase
        self.seconds = seconds


class ProbeFailure(ConnectionError):
    """A target could not be probed (refused, reset, bad answer); names target and phase."""

    def __init__(self, target: str, phase: str, detail: str) -> None:
        super().__init__(f"{target}: {phase} failed: {detail}")
        self.target = target
        self.phase = phase
        self.detail = detail


class DeadTarget(ProbeFailure):
    """A probe not attempted: an earlier probe proved the address dead in this session."""

    def __init__(self, target: str, first: str) -> None:
        ConnectionError.__init__(self, f"{target}: not probed again: {first}")
        self.target = target
        self.phase = "earlier probe"
        self.detail = first


def proves_dead(exc: BaseException) -> bool:
    """A failure that shows nothing answers at the address: a timeout in any phase, or a
    connection that could not be made. A bad certificate or HTTP error does not."""
    if isinstance(exc, DeadTarget):
        return False
    return isinstance(exc, ProbeTimeout) or (
        isinstance(exc, ProbeFailure) and exc.phase == "connect")


T = TypeVar("T")


class DeadTargets:
    """Addresses proved dead in this session, and those that answered at least once.

    ``call(address, name, probe)`` runs ``probe`` unless the address is dead (then
    raises :class:`DeadTarget` at once); a failure that :func:`proves_dead` marks the
    address dead unless it answered before. Thread-safe: pooled probes share it.
    """

    def __init__(self) -> None:
        self._dead: dict[Hashable, str] = {}
        self._alive: set[Hashable] = set()
        self._lock = threading.Lock()

    def first_failure(self, address: Hashable) -> str | None:
        with self._lock:
            return self._dead.get(address)

    def check(self, address: Hashable, name: str) -> None:
        """Raise :class:`DeadTarget` when ``address`` is already known dead."""
        first = self.first_failure(address)
        if first is not None:
            raise DeadTarget(name, first)

    def call(self, address: Hashable, name: str, probe: Callable[[], T]) -> T:
        self.check(address, name)
        try:
            result = probe()
        except (TimeoutError, ConnectionError) as exc:
            if proves_dead(exc):
                with self._lock:
                    if address not in self._alive:
                        self._dead.setdefault(address, str(exc))
            raise
        with self._lock:
            self._alive.add(address)
        return result


@dataclass
class Deadline:
    """One time budget for a whole operation against one target."""

    target: str
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self, phase: str) -> float:
        """Seconds left; raises ProbeTimeout naming ``phase`` when none are."""
        left = self.seconds - (time.monotonic() - self.started)
        if left <= 0:
            raise ProbeTimeout(self.target, phase, self.seconds)
        return left

    def expired(self, phase: str) -> ProbeTimeout:
        return ProbeTimeout(self.target, phase, self.seconds)

    def connect(self, host: str, port: int) -> socket.socket:
        """A TCP connection made within the deadline (phase ``connect``)."""
        try:
            sock = socket.create_connection((host, port), timeout=self.remaining("connect"))
        except TimeoutError as exc:
            raise self.expired("connect") from exc
        except OSError as exc:
            raise ProbeFailure(self.target, "connect", exc.strerror or str(exc)) from exc
        return sock


class Watchdog:
    """Shut a socket down when a deadline passes, to unblock a read stuck in a library.

    ``http.client`` reads with a per-call timeout, which a peer sending one byte per
    second never trips; shutting the socket down makes the blocked read return.
    """

    def __init__(self, deadline: Deadline, sock: socket.socket) -> None:
        self.fired = False
        left = max(deadline.seconds - (time.monotonic() - deadline.started), 0.0)
        self._timer = threading.Timer(left, self._fire, args=(sock,))
        self._timer.daemon = True

    def _fire(self, sock: socket.socket) -> None:
        self.fired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


Probe = Callable[[Any], Any]


def address(url: str) -> tuple[str, int]:
    """(host, port) of a URL: what a dead mark is kept by (http:// and https:// on one
    port are one listener)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme, 0)
    return (parts.hostname or "").lower(), parts.port or default


class NetPool:
    """Run each (kind, target) probe once, concurrently, and share the result.

    ``register(kind, probe, targets)`` declares what a kind of probe does and over
    which targets; ``get(kind, target)`` returns its result (or raises what the
    probe raised), submitting the whole kind on first use. Each probe bounds its
    own time with its target's timeout, so a future never waits forever; ``get``
    still waits at most ``wait`` seconds as a last guard.
    """

    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers,
                                            thread_name_prefix="readiness-net")
        self._probes: dict[str, tuple[Probe, list[Hashable]]] = {}
        self._futures: dict[tuple[str, Hashable], Future[Any]] = {}
        self._lock = threading.Lock()
        self.dead = DeadTargets()

    def call(self, url: str, name: str, probe: Callable[[], T]) -> T:
        """``probe()`` of the address of ``url``, unless an earlier probe proved it dead."""
        return self.dead.call(address(url), name, probe)

    def register(self, kind: str, probe: Probe, targets: Iterable[Hashable]) -> None:
        with self._lock:
            if kind not in self._probes:
                self._probes[kind] = (probe, list(targets))

    def _submit(self, kind: str, target: Hashable) -> Future[Any]:
        key = (kind, target)
        if key not in self._futures:
            probe = self._probes[kind][0]
            self._futures[key] = self._executor.submit(probe, target)
        return self._futures[key]

    def get(self, kind: str, target: Hashable, wait: float | None = None) -> Any:
        with self._lock:
            if kind not in self._probes:
                raise KeyError(f"no probe registered for {kind!r}")
            for other in self._probes[kind][1]:  # gather the whole kind at once
                self._submit(kind, other)
            future = self._submit(kind, target)
        return future.result(timeout=wait)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_POOLS_ATTR = "_readiness_netpool"


def pool_for(owner: object, workers: int = DEFAULT_WORKERS) -> NetPool:
    """The NetPool of one audit session, kept on the session's context object.

    Keeping it on the (per-session) context rather than in a module global means an
    in-process pytester run, or a second session, never reads a stale result.
    """
    pool = getattr(owner, _POOLS_ATTR, None)
    if pool is None:
        pool = NetPool(workers)
        try:
            setattr(owner, _POOLS_ATTR, pool)
        except AttributeError:  # an object with slots: no sharing, still correct
            pass
    return pool
