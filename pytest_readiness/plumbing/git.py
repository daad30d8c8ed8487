"""git on an audited tree: read-only, bounded, never one of the tree's own commands. No pytest.

The tree's ``.git/config`` is as untrusted as its files (an unpacked archive or a
checkout may carry one): ``core.fsmonitor`` names a program git runs for every command
that reads the index, ``ls-files`` among them, and ``core.hooksPath`` where hooks are
found. Every git call of the audit goes through :func:`run`:

- those settings are overridden on the command line (``-c`` wins over every file);
- no optional lock is taken (``GIT_OPTIONAL_LOCKS=0``): git does not refresh the index
  of the tree it reads, so an audit never writes to it;
- no prompt (``GIT_TERMINAL_PROMPT=0``, stdin closed), a deadline and an output cap,
  through :func:`pytest_readiness.plumbing.processes.run` like every program the audit
  starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from pytest_readiness.plumbing import processes

OVERRIDES = ("-c", "core.fsmonitor=false", "-c", f"core.hooksPath={os.devnull}")
ENVIRONMENT = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
MAX_OUTPUT = 256 * 1024 * 1024  # ls-files of a large monorepo: tens of MB


def argv(root: Path, *args: str) -> list[str]:
    """The command line of ``git ARGS`` run on the work tree at ``root``."""
    return ["git", *OVERRIDES, "-C", str(root), *args]


def run(root: Path, *args: str, timeout: float) -> processes.Finished:
    """``git ARGS`` on ``root``; OSError when git cannot be started."""
    return processes.run(argv(root, *args), deadline=timeout, cap=MAX_OUTPUT,
                         env={**os.environ, **ENVIRONMENT})
