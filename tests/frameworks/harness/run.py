"""Exercise app trees of one framework: ``python -m tests.frameworks.harness.run SPEC OUT``.

SPEC is a JSON file: ``{"framework": ..., "package": ..., "jobs": [{"id", "tree", "env"}]}``.
The framework is imported once here; each tree then runs in a forked child (its own
modules, settings and environment, as a fresh process would have them) and sends its
facts back through a pipe. A child that hangs is killed after CHILD_TIMEOUT seconds
and reported as an error. OUT receives ``{job id: facts or {"error": text}}``.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

CHILD_TIMEOUT = 60.0


def _child(write_fd: int, job: dict[str, Any], framework: str, package: str) -> None:
    from tests.frameworks.harness.session import run_tree

    try:
        result: dict[str, Any] = run_tree(Path(job["tree"]), framework, package, job.get("env", {}))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent as text
        result = {"error": traceback.format_exc(limit=20)}
    data = json.dumps(result, default=str).encode()
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(data)
    sys.stdout.flush()
    os._exit(0)


def run_job(job: dict[str, Any], framework: str, package: str) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(write_fd, job, framework, package)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + CHILD_TIMEOUT
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"error": f"timed out after {CHILD_TIMEOUT:.0f} s"}
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"error": f"child exited with status {status} and sent nothing"}
    return json.loads(b"".join(chunks))


def main(argv: list[str]) -> int:
    # gRPC's fork handlers stall forked children for seconds; no gRPC object exists here.
    os.environ["GRPC_ENABLE_FORK_SUPPORT"] = "false"
    spec = json.loads(Path(argv[0]).read_text())
    framework, package = spec["framework"], spec["package"]
    from tests.frameworks.harness import adapters, session

    adapter = adapters.ADAPTERS[framework]
    for name in getattr(adapter, "PREIMPORT", ()):
        importlib.import_module(name)
    if hasattr(adapter, "warm"):
        adapter.warm()
    if spec["jobs"]:
        session.prepare(Path(spec["jobs"][0]["tree"]), package)
    results = {}
    for job in spec["jobs"]:
        started = time.monotonic()
        results[job["id"]] = run_job(job, framework, package)
        results[job["id"]]["_seconds"] = round(time.monotonic() - started, 3)
    Path(argv[1]).write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
