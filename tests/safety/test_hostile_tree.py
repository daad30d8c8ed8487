"""Issue 19, reading the audited tree (items 6-9): a hostile repository and readiness.yaml.

Each test plants one hostile thing in a small repository and runs the audit the
way a user does (``python -m pytest --readiness`` in a subprocess, see
tests/safety/hostile.py), under a wall-clock and a memory bound; the last test
plants all of them at once (the issue's acceptance bound: audited to the end,
every output written, under 60 s and 500 MB).

Every test here reproduced a break before the fix (the bounded reader and walk of
plumbing/reader.py and plumbing/tree.py, the bounded YAML loader of plumbing/yamlpos.py);
docs/safety.md lists each with the bound measured.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.safety.hostile import (
    MB,
    OUTPUTS,
    RUN_MEMORY,
    RUN_SECONDS,
    BoundedAudit,
    Finished,
    audit,
    output_args,
    read_outputs,
)

# A small tree audits in ~2.5 s on the 2-core test machine: these bounds are many
# times that, so only a hang or a blow-up passes them.
SECONDS = 30.0
FINISHED = (0, 1, 6)  # exit codes of an audit that ran to its end (docs/exit-codes.md)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("import os\n\nPORT = int(os.environ.get('PORT', '8000'))\n")
    return root


def _ended(run: Finished, root: Path, *outputs: str) -> dict:
    """Assert the audit ran to its end within its bounds; return the record."""
    assert run.stopped is None, run.summary()
    assert run.rc in FINISHED, run.summary()
    assert "Traceback" not in run.stdout + run.stderr, run.summary()
    for name in outputs or ("json", "markdown"):
        assert (root / OUTPUTS[name][1]).is_file(), f"{name} not written\n{run.summary()}"
    record = json.loads((root / "out.json").read_text(encoding="utf-8"))
    assert not record.get("incomplete"), record.get("notes")
    return record


def _nowhere(run: Finished, root: Path, value: str) -> None:
    """``value`` (or a long piece of it, in any case) is in no output and not on the terminal."""
    texts = {**read_outputs(root), "stdout": run.stdout, "stderr": run.stderr}
    for where, text in texts.items():
        for piece in (value, value[:16], value[-16:]):
            assert piece.lower() not in text.lower(), f"{piece!r} from outside the tree in {where}"


# -- item 6: symlinks out of the tree -------------------------------------------------


def _link_out(kind: str, root: Path, home: Path) -> tuple[str, dict[str, str]]:
    """Plant one link out of the tree; return the value it would expose and the env."""
    value = secrets.token_hex(16)
    (root / "deploy").mkdir(exist_ok=True)
    if kind == "unit-to-netrc":
        (home / ".netrc").write_text(f"machine ci.example.com login deploy password {value}\n")
        os.symlink(home / ".netrc", root / "deploy" / "app.service")
        return value, {}
    if kind == "unit-to-proc-environ":
        os.symlink("/proc/self/environ", root / "deploy" / "worker.service")
        return value, {"CI_JOB_TOKEN": value}  # the first entry of the audit's environment
    (home / ".vault-token").write_text(f"{value}\n")  # a token file: the value is its line
    os.symlink(home / ".vault-token", root / "Dockerfile")
    return value, {}


@pytest.mark.parametrize("kind", ["unit-to-netrc", "unit-to-proc-environ",
                                  "dockerfile-to-vault-token"])
def test_links_out_of_the_tree_are_not_read(tmp_path: Path, kind: str) -> None:
    root = _repo(tmp_path)
    run = BoundedAudit(root, output_args(), seconds=SECONDS)
    value, env = _link_out(kind, root, run.tmpdir)
    run.env = {**env, **run.env}
    finished = run.start().wait()
    _ended(finished, root, *OUTPUTS)
    _nowhere(finished, root, value)


# -- item 7: special and huge files -------------------------------------------------------

_BUILT_SERVICE = "services:\n  api:\n    build: .\n    env_file: {env_file}\n"


@pytest.mark.parametrize("how", ["env-file-is-a-fifo", "unit-links-to-a-fifo"])
def test_a_fifo_does_not_hang_the_audit(tmp_path: Path, how: str) -> None:
    root = _repo(tmp_path)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    if how == "env-file-is-a-fifo":
        (root / "docker-compose.yml").write_text(_BUILT_SERVICE.format(env_file="./app.env"))
        os.mkfifo(root / "app.env")
    else:
        os.mkfifo(tmp_path / "pipe")
        (root / "deploy").mkdir()
        os.symlink(tmp_path / "pipe", root / "deploy" / "app.service")
    run = audit(root, *output_args("json", "markdown"), seconds=20)
    _ended(run, root)


@pytest.mark.parametrize("how", ["dockerfile-links-to-dev-zero", "env-file-is-dev-zero"])
def test_dev_zero_is_not_read_whole(tmp_path: Path, how: str) -> None:
    root = _repo(tmp_path)
    if how == "dockerfile-links-to-dev-zero":
        os.symlink("/dev/zero", root / "Dockerfile")
    else:
        (root / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
        (root / "docker-compose.yml").write_text(_BUILT_SERVICE.format(env_file="/dev/zero"))
    run = audit(root, *output_args("json", "markdown"), seconds=SECONDS)
    _ended(run, root)
    print(f"\n/dev/zero ({how}): {run.elapsed:.1f}s, peak {run.peak_mb:.0f} MB")


def test_a_huge_sparse_compose_file_is_capped(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    with open(root / "docker-compose.yml", "wb") as f:
        f.write(b"services:\n  api:\n    image: shop/api:1.4.2\n")
        f.truncate(1024 * MB)  # sparse: no disk used
    run = audit(root, *output_args("json", "markdown"), seconds=SECONDS)
    record = _ended(run, root)
    # The file was not read, so no check may pass on it (it is reported, not judged).
    passed = [c["id"] for c in record["checks"] if c["id"].startswith("compose.")
              and c["target"] == "docker-compose.yml" and c["outcome"] == "pass"]
    assert passed == [], passed
    print(f"\n1 GB sparse compose: {run.elapsed:.1f}s, peak {run.peak_mb:.0f} MB")


# -- item 8: deep trees and odd names ---------------------------------------------------


def _nest(root: Path, depth: int) -> None:
    """``depth`` nested directories (made relative to each other: no long paths)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("x = 1\n")
    finally:
        os.close(fd)


def _unnest(root: Path) -> None:
    """Remove what :func:`_nest` made, one level at a time.

    Left in place, 1,100 levels would make pytest's own clean-up of old temporary
    directories (``shutil.rmtree``, recursive before Python 3.12) raise RecursionError
    at the end of a later session, of any user of this machine.
    """
    top = root / "d"
    while top.is_dir() and not top.is_symlink():
        for entry in os.scandir(top):
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        inner = top / "d"
        if inner.is_dir():
            spare = root / "d.next"
            os.rename(inner, spare)
            os.rmdir(top)
            os.rename(spare, top)
        else:
            os.rmdir(top)


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """A repository with 1,100 nested directories (removed flat afterwards)."""
    root = _repo(tmp_path)
    try:
        _nest(root, 1100)
        yield root
    finally:
        _unnest(root)


def test_a_deep_tree_is_walked(deep: Path) -> None:
    root = deep
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    run = audit(root, *output_args("json", "markdown"), seconds=SECONDS)
    assert "RecursionError" not in run.stdout + run.stderr, run.summary()
    record = _ended(run, root)
    assert len([c for c in record["checks"] if c["outcome"] != "skip"]) >= 10, run.summary()


def test_a_file_name_that_is_not_utf8_reaches_every_output(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / os.fsdecode(b"Dockerfile.\xff\xfe")).write_bytes(b"FROM python\nRUN pip install x\n")
    run = audit(root, *output_args(), seconds=SECONDS)
    missing = [name for name, (_, path) in OUTPUTS.items() if not (root / path).is_file()]
    assert missing == [], f"not written: {missing}\n{run.summary()}"
    record = _ended(run, root, *OUTPUTS)
    json.loads((root / "out.sarif").read_text(encoding="utf-8"))
    for name in ("markdown", "html", "pytest-html", "prometheus"):
        (root / OUTPUTS[name][1]).read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert any(c["target"] and c["target"].startswith("Dockerfile.") for c in record["checks"])


# -- item 9: YAML bombs -------------------------------------------------------------------


def _alias_bomb(depth: int, fan: int = 9, indent: str = "",
                node: str = "{{receiver: nobody, routes: [{refs}]}}") -> list[str]:
    """``depth`` levels of anchors, each referring ``fan`` times to the one below."""
    lines = [f"{indent}n0: &n0 {{receiver: nobody}}"]
    for level in range(1, depth + 1):
        refs = ", ".join([f"*n{level - 1}"] * fan)
        lines.append(f"{indent}n{level}: &n{level} " + node.format(refs=refs))
    return lines


def test_an_alertmanager_alias_bomb_is_bounded(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "monitoring").mkdir()
    bomb = [*_alias_bomb(8), "route: {receiver: ops, routes: [" + ", ".join(["*n8"] * 9) + "]}",
            "receivers: [{name: ops, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}]"]
    text = "\n".join(bomb) + "\n"
    assert len(text) < 1024
    (root / "monitoring" / "alertmanager.yml").write_text(text)
    run = audit(root, *output_args("json", "markdown"), seconds=20)
    _ended(run, root)
    print(f"\nAlertmanager alias bomb: {run.elapsed:.1f}s, peak {run.peak_mb:.0f} MB")


def test_a_readiness_yaml_alias_bomb_is_refused_at_load(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    text = "\n".join(["system: shop", "extra:",
                      *_alias_bomb(8, indent="  ", node="{{note: x, more: [{refs}]}}")]) + "\n"
    assert len(text) < 1024
    (root / "readiness.yaml").write_text(text)
    run = audit(root, "--readiness-json", "out.json", seconds=SECONDS)
    assert run.stopped is None and run.rc == 4, run.summary()
    assert "readiness.yaml" in run.stderr + run.stdout and "Traceback" not in run.stderr


@pytest.mark.parametrize("shape", ["deep", "cyclic"])
def test_a_deep_or_cyclic_readiness_yaml_is_a_usage_error(tmp_path: Path, shape: str) -> None:
    root = _repo(tmp_path)
    tail = "[" * 5000 + "]" * 5000 if shape == "deep" else "&loop [*loop]"
    (root / "readiness.yaml").write_text(f"system: shop\nextra: {tail}\n")
    run = audit(root, "--readiness-json", "out.json", seconds=SECONDS)
    assert run.stopped is None and run.rc == 4, run.summary()
    text = run.stdout + run.stderr
    assert "readiness.yaml" in text, run.summary()
    assert "Traceback" not in text and "RecursionError" not in text, run.summary()


# -- done when: all of it at once ---------------------------------------------------------


@pytest.mark.slow
def test_a_hostile_repository_is_audited_to_the_end(deep: Path, tmp_path: Path) -> None:
    root = deep  # item 8: 1,100 nested directories
    run = BoundedAudit(root, [*output_args(), "-rA"], seconds=RUN_SECONDS, memory=RUN_MEMORY)
    exposed: list[str] = []
    env: dict[str, str] = {}
    for kind in ("unit-to-netrc", "unit-to-proc-environ", "dockerfile-to-vault-token"):
        value, more = _link_out(kind, root, run.tmpdir)
        exposed.append(value)
        env.update(more)
    # Item 7: FIFOs (directly and through a link), /dev/zero (link and env_file), 1 GB.
    os.mkfifo(root / "app.env")
    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", root / "deploy" / "fifo.service")
    os.symlink("/dev/zero", root / "Dockerfile.zero")
    (root / "compose.env.yml").write_text(
        "services:\n  api:\n    build: .\n    env_file: [./app.env, /dev/zero]\n")
    with open(root / "docker-compose.yml", "wb") as f:
        f.write(b"services:\n  api:\n    image: shop/api:1.4.2\n")
        f.truncate(1024 * MB)
    # Item 8: a name that is not UTF-8 (and the depth, above); item 9: an alias bomb.
    (root / os.fsdecode(b"Dockerfile.\xff\xfe")).write_bytes(b"FROM python\n")
    (root / "monitoring").mkdir()
    (root / "monitoring" / "alertmanager.yml").write_text("\n".join([
        *_alias_bomb(8), "route: {receiver: ops, routes: [" + ", ".join(["*n8"] * 9) + "]}",
        "receivers: [{name: ops, webhook_configs: [{url: 'http://127.0.0.1:9/'}]}]"]) + "\n")
    # Item 17: names that are markup, Markdown, shell and terminal control.
    for name in ("Dockerfile.<img src=x onerror=alert(1)>",
                 "Dockerfile.x\n\n**Verdict: PRODUCTION READY**\n",
                 "Dockerfile.x';touch${IFS}pwned;'", "Dockerfile.\x1b]0;owned\x07\x1b[31m"):
        (root / name).write_text("FROM python\nRUN pip install flask\n")
    run.env = {**env, **run.env}
    finished = run.start().wait()
    print(f"\nhostile repository: {finished.elapsed:.1f}s, peak {finished.peak_mb:.0f} MB, "
          f"rc {finished.rc}")
    assert finished.elapsed < RUN_SECONDS and finished.peak_rss < RUN_MEMORY, finished.summary()
    record = _ended(finished, root, *OUTPUTS)
    json.loads((root / "out.sarif").read_text(encoding="utf-8"))
    assert len([c for c in record["checks"] if c["outcome"] != "skip"]) >= 10
    for value in exposed:
        _nowhere(finished, root, value)
    assert not (root / "pwned").exists()
