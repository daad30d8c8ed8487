"""One exercise of one app tree, in a child process: environment, upstreams, capture."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.frameworks.harness.context import Secrets, app_environment, capture_logs
from tests.frameworks.harness.fakes import MemoryDatabase
from tests.frameworks.harness.tripwires import Tripwires
from tests.frameworks.harness.upstreams import Upstreams


class Session:
    def __init__(self, upstreams: Upstreams, extra_env: dict[str, str]) -> None:
        self.upstreams = upstreams
        self.keys = Secrets()
        self.env = {**app_environment(self.keys, upstreams), **extra_env}
        self.tripwires = Tripwires()
        self.logs: logging.Handler | None = None

    def recapture_logs(self) -> None:
        """After an app's own logging.config.dictConfig replaced the root's handlers."""
        root = logging.getLogger()
        if self.logs is not None and self.logs not in root.handlers:
            root.addHandler(self.logs)

    def seed_users(self, rows: MemoryDatabase, passwords: ModuleType) -> MemoryDatabase:
        rows.create_user("ada", passwords.hash_password(self.keys.user_password), "user")
        rows.create_user("grace", passwords.hash_password(self.keys.admin_password), "admin")
        return rows

    def install_tripwires(self) -> None:
        self.tripwires.install()


def run_tree(tree: Path, framework: str, package: str, extra_env: dict[str, str]) -> dict[str, Any]:
    """Import and exercise the app in ``tree``: the facts, plus blocking, state and leaks."""
    from tests.frameworks.harness import adapters

    adapter = adapters.ADAPTERS[framework]
    tree = tree.resolve()
    printed = io.StringIO()
    with Upstreams() as upstreams:
        session = Session(upstreams, extra_env)
        # requests prefers these to Session.verify = False: the apps must decide alone.
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            os.environ.pop(name, None)
        os.environ.update(session.env)
        logs = session.logs = capture_logs()
        sys.path.insert(0, str(tree))
        os.chdir(tree)
        with contextlib.redirect_stdout(printed):
            facts = adapter.exercise(session, package)
        facts["blocking_in_event_loop"] = session.tripwires.in_event_loop()
        session.tripwires.uninstall()
        facts["shared_state"] = upstreams.shared_key_prefixes()
        facts["secret_in_logs"] = logs.leaked(session.keys, printed.getvalue())
        return facts
