"""The one way the audit reads a file of the audited tree: bounded, contained, once.

A repository under audit is untrusted input (it may come from a pull request), so every
probe reads its files through a :class:`Reader`, which reads

- regular files only: a FIFO, socket or device is refused before it is opened, and the
  file is opened ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat``, so a FIFO
  or a link swapped in after the walk cannot hang the audit or lead it elsewhere;
- nothing outside the audited root: the path is resolved and must lie under the root (a
  link inside the tree to a file inside the tree is fine; a link to ``~/.netrc`` or
  ``/proc/self/environ`` is not), checked again on the opened descriptor;
- at most ``max_bytes`` per file (``tree.max_file_bytes`` in readiness.yaml): a bigger
  file is refused as ``not read: N bytes > cap``, never read in part and judged;
- once per run: the bytes, the decoded text and the line table are cached
  (:class:`Content`), and so is whatever a probe derives from them (:meth:`Content.memo`).

A file that is not read raises :class:`Unread` (an ``OSError``) whose message says why,
never what the file holds. No pytest here.
"""

from __future__ import annotations

import os
import stat
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
# Bytes of file content the cache of one reader keeps (older files are read again if asked).
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
BINARY_SNIFF = 8192  # a NUL byte in the first 8 kB: binary (what git and grep assume)
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | \
    getattr(os, "O_CLOEXEC", 0)
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a directory"))
T = TypeVar("T")
OUTSIDE = "not read: outside the audited tree (through a link, or named so)"


class Unread(OSError):
    """A file the reader did not read; the message says why (never what it holds)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def kind_of(mode: int) -> str | None:
    """``"a FIFO"``, ``"a socket"``... for what is not a regular file; None for one."""
    if stat.S_ISREG(mode):
        return None
    return next((said for test, said in _KINDS if test(mode)), "not a regular file")


def inside(path: str, root: str) -> bool:
    """``path`` (resolved) is ``root`` (resolved) or under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def too_big(size: int, cap: int) -> str:
    return f"not read: {size} bytes > cap of {cap} bytes (tree.max_file_bytes)"


@dataclass(eq=False)
class Content:
    """One file's bytes, read once, and what is derived from them, computed once.

    ``text`` is the UTF-8 decoding with replacement characters (what rules scan);
    :meth:`utf8` is the strict decoding (what parsers of deployment files want).
    """

    rel: str
    data: bytes
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def binary(self) -> bool:
        return b"\0" in self.data[:BINARY_SNIFF]

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def utf8(self) -> str:
        """The text, strictly decoded; :class:`Unread` (with the offset) when not UTF-8."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unread(f"not read: not UTF-8 text (byte 0x{self.data[exc.start]:02x} at "
                         f"offset {exc.start})") from None

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, as ``str.splitlines`` splits them (line N is ``lines[N - 1]``)."""
        return self.text.splitlines()

    @cached_property
    def line_starts(self) -> list[int]:
        """Offset in ``text`` of the start of each line (the line table)."""
        return [0, *accumulate(map(len, self.text.splitlines(keepends=True)))][:-1] or [0]

    def line_at(self, offset: int) -> int:
        """The 1-based line of an offset in ``text``."""
        return bisect_right(self.line_starts, offset)

    def memo(self, key: Any, make: Callable[[], T]) -> T:
        """``make()`` computed once per file and key (a parse tree, a parsed compose file).

        An exception is remembered too and raised again: a file that does not parse is
        parsed once, however many checks ask.
        """
        if key not in self._memo:
            try:
                self._memo[key] = (True, make())
            except Exception as exc:  # noqa: BLE001 - re-raised below, every time
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value.with_traceback(None)
        return value  # type: ignore[no-any-return]


@dataclass
class Reader:
    """Reads the files under ``root`` (see the module docstring); one per audited root."""

    root: Path
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    cache_bytes: int = DEFAULT_CACHE_BYTES
    _real_root: str = field(init=False, repr=False)
    _cache: dict[str, Content | Unread] = field(default_factory=dict, repr=False)
    _cached: int = field(default=0, repr=False)
    # path as asked -> resolved path, once per run: ``realpath`` costs an lstat per path
    # component, and checks ask for the same files hundreds of times. A file is still
    # opened only through ``_load``, which checks the opened descriptor again.
    _resolved: dict[Path | str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._real_root = os.path.realpath(self.root)

    def contains(self, path: Path | str) -> bool:
        """Whether ``path`` (relative to the root, or absolute) resolves inside the root."""
        return inside(os.path.realpath(os.path.join(self.root, path)), self._real_root)

    def read(self, path: Path | str) -> Content:
        """The file's content, or :class:`Unread` saying why it was not read.

        ``path`` is absolute or relative to the root.
        """
        real = self._resolved.get(path)
        if real is None:
            real = self._resolved[path] = os.path.realpath(os.path.join(self.root, path))
        found = self._cache.get(real)
        if found is None:
            found = self._load(real)
            self._keep(real, found)
        if isinstance(found, Unread):
            raise Unread(found.reason)
        return found

    def text(self, path: Path | str) -> str:
        """The file's text, strictly UTF-8 (:class:`Unread` otherwise)."""
        return self.read(path).utf8()

    def _load(self, real: str) -> Content | Unread:
        if not inside(real, self._real_root):
            return Unread(OUTSIDE)
        try:
            info = os.stat(real)
        except OSError as exc:
            return Unread(f"cannot read: {exc.strerror or exc}")
        problem = self._problem(info)
        if problem:
            return Unread(problem)
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as exc:  # ELOOP: swapped for a link since the check
            return Unread(f"cannot read: {exc.strerror or exc}")
        try:
            problem = self._problem(os.fstat(fd)) or self._escaped(fd)
            if problem:
                return Unread(problem)
            os.set_blocking(fd, True)
            data = _read_at_most(fd, self.max_bytes + 1)
        except OSError as exc:
            return Unread(f"cannot read: {exc.strerror or exc}")
        finally:
            os.close(fd)
        if len(data) > self.max_bytes:  # it grew since fstat
            return Unread(too_big(len(data), self.max_bytes))
        return Content(Path(os.path.relpath(real, self._real_root)).as_posix(), data)

    def _problem(self, info: os.stat_result) -> str | None:
        kind = kind_of(info.st_mode)
        if kind is not None:
            return f"not read: {kind}, not a regular file"
        if info.st_size > self.max_bytes:
            return too_big(info.st_size, self.max_bytes)
        return None

    def _escaped(self, fd: int) -> str | None:
        """The opened file is outside the root (a directory on the way was swapped)."""
        try:
            opened = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return None  # no /proc: the checks before opening stand
        if opened.startswith("/") and not inside(opened, self._real_root):
            return OUTSIDE
        return None

    def _keep(self, real: str, found: Content | Unread) -> None:
        if isinstance(found, Content):
            self._cached += found.size
            while self._cached > self.cache_bytes and self._cache:
                oldest = next(iter(self._cache))
                dropped = self._cache.pop(oldest)
                if isinstance(dropped, Content):
                    self._cached -= dropped.size
        self._cache[real] = found


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
