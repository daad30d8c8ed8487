"""One exercise of one app tree, in a child process: environment, upstreams, capture."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
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

# Set once by the parent before it forks (prepare): the same secrets for every variant of
# a run, and their password hashes, which are slow by design, computed once.
KEYS: Secrets | None = None
HASHES: dict[tuple[str, str], str] = {}  # (passwords.py source, password) -> hash


def prepare(clean_tree: Path, package: str) -> None:
    """In the parent: draw the run's secrets; hash them with the clean app's passwords.py."""
    global KEYS
    KEYS = Secrets()
    module_path = clean_tree / package / "passwords.py"
    if not module_path.exists():
        return
    spec = importlib.util.spec_from_file_location("_clean_passwords", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = module_path.read_text()
    for password in (KEYS.user_password, KEYS.admin_password):
        HASHES[(source, password)] = module.hash_password(password)


class Session:
    def __init__(self, upstreams: Upstreams, extra_env: dict[str, str]) -> None:
        self.upstreams = upstreams
        self.keys = copy.deepcopy(KEYS) if KEYS is not None else Secrets()
        self.env = {**app_environment(self.keys, upstreams), **extra_env}
        self.tripwires = Tripwires()
        self.logs: logging.Handler | None = None

    def recapture_logs(self) -> None:
        """After an app's own logging.config.dictConfig replaced the root's handlers."""
        root = logging.getLogger()
        if self.logs is not None and self.logs not in root.handlers:
            root.addHandler(self.logs)

    def seed_users(self, rows: MemoryDatabase, passwords: ModuleType) -> MemoryDatabase:
        source = Path(passwords.__file__ or "").read_text()

        def hashed(password: str) -> str:
            known = HASHES.get((source, password))
            return known if known is not None else passwords.hash_password(password)

        rows.create_user("ada", hashed(self.keys.user_password), "user")
        rows.create_user("grace", hashed(self.keys.admin_password), "admin")
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
