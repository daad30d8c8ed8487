"""Record blocking calls made while an event loop runs in the calling thread.

Each wrapper notes ``(name, in_event_loop)`` and then does what the call would do,
or, for a client whose server is not here (MongoDB, S3), returns a stub. A call from a
worker thread (``asyncio.to_thread``, ``run_in_executor``) is not in the loop.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Callable
from typing import Any

# name -> (module, attribute path, stub or None for "call the real one")
TARGETS: dict[str, tuple[str, str, Callable[..., Any] | None]] = {
    "time.sleep": ("time", "sleep", None),
    "subprocess.run": (
        "subprocess", "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, b"", b"")
    ),
    "requests": ("requests.sessions", "Session.request", None),
    "redis": ("redis.client", "Redis.execute_command", None),
    "psycopg2": ("psycopg2", "connect", None),
    "pymongo": ("pymongo.collection", "Collection.insert_one", lambda *a, **k: None),
    "boto3": ("botocore.client", "BaseClient._make_api_call", lambda *a, **k: {}),
}


class Tripwires:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self._undo: list[Callable[[], None]] = []

    def install(self) -> Tripwires:
        """Wrap every target whose module is importable (imported already or not)."""
        for name, (module_name, path, stub) in TARGETS.items():
            if module_name not in sys.modules and name in ("psycopg2", "pymongo", "boto3"):
                continue  # only the apps that import these can call them
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner_name, _, attr = path.rpartition(".")
            owner = getattr(module, owner_name) if owner_name else module
            self._wrap(name, owner, attr, stub)
        return self

    def _wrap(self, name: str, owner: Any, attr: str, stub: Callable[..., Any] | None) -> None:
        real = getattr(owner, attr)
        calls = self.calls

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, asyncio._get_running_loop() is not None))
            if stub is not None:
                return stub(*args, **kwargs)
            return real(*args, **kwargs)

        setattr(owner, attr, wrapper)
        self._undo.append(lambda: setattr(owner, attr, real))

    def in_event_loop(self) -> list[str]:
        return sorted({name for name, in_loop in self.calls if in_loop})

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


