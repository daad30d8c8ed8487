"""The one reader of the audited tree, its walk and its YAML loader, unit by unit (issue 19,
items 6-9; the hostile repository end to end is tests/safety/test_hostile_tree.py).

Reader (plumbing/reader.py): regular files only, nothing outside the root, a size cap,
read once. Walk (plumbing/tree.py): iterative with a depth cap, lossless names, virtual
environments known by their marker. YAML (plumbing/yamlpos.py): depth, node count and
alias expansion bounded while composing, cycles refused.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.plumbing import reader as reader_module
from pytest_readiness.plumbing import tree, yamlpos
from pytest_readiness.plumbing.reader import Content, Reader, Unread

# -- the reader --------------------------------------------------------------------------


def test_a_file_is_read_once_and_what_is_derived_is_computed_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    reader = Reader(tmp_path)
    first = reader.read(tmp_path / "a.txt")
    assert reader.read("a.txt") is first  # relative to the root: the same cached content
    made: list[int] = []
    assert first.memo("n", lambda: made.append(1) or len(first.lines)) == 2
    assert first.memo("n", lambda: made.append(1) or 0) == 2
    assert made == [1]


def test_an_exception_while_deriving_is_raised_again_not_recomputed(tmp_path: Path) -> None:
    content = Content("x", b"x")
    calls: list[int] = []

    def broken() -> int:
        calls.append(1)
        raise ValueError("does not parse")

    for _ in range(3):
        with pytest.raises(ValueError, match="does not parse"):
            content.memo("parse", broken)
    assert calls == [1]


def test_a_link_inside_the_tree_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.service").write_text("[Service]\n")
    (tmp_path / "deploy").mkdir()
    os.symlink("../real.service", tmp_path / "deploy" / "app.service")
    assert Reader(tmp_path).read(tmp_path / "deploy" / "app.service").text == "[Service]\n"


@pytest.mark.parametrize("target", ["outside", "/proc/self/environ", "/dev/zero"])
def test_a_link_out_of_the_tree_is_not_read(tmp_path: Path, target: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    if target == "outside":
        (tmp_path / ".netrc").write_text("machine ci login deploy password hunter2-secret\n")
        target = str(tmp_path / ".netrc")
    os.symlink(target, root / "Dockerfile")
    with pytest.raises(Unread) as caught:
        Reader(root).read(root / "Dockerfile")
    assert str(caught.value) == reader_module.OUTSIDE
    assert "hunter2" not in str(caught.value)


def test_a_path_named_outside_the_root_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.env").write_text("TOKEN=x\n")
    (tmp_path / "repo").mkdir()
    with pytest.raises(Unread, match="outside the audited tree"):
        Reader(tmp_path / "repo").read("../secret.env")


def _finishes(call: object, seconds: float = 5.0) -> object:
    """Run ``call`` in a thread; fail (instead of hanging the test run) if it blocks."""
    result: list[object] = []

    def run() -> None:
        try:
            result.append(call())  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the reader blocked"
    return result[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "app.env")
    found = _finishes(lambda: Reader(tmp_path).read(tmp_path / "app.env"))
    assert isinstance(found, Unread) and str(found) == "not read: a FIFO, not a regular file"


def test_a_fifo_swapped_in_after_the_check_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the ``stat`` and the ``open``, the file becomes a FIFO: ``O_NONBLOCK`` opens it
    at once and ``fstat`` refuses it."""
    (tmp_path / "app.env").write_text("A=1\n")
    real_stat = os.stat
    swapped: list[str] = []

    def stat_then_swap(path: object, *args: object, **kwargs: object) -> os.stat_result:
        found = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if str(path).endswith("app.env") and not swapped:
            swapped.append(str(path))
            os.unlink(str(path))
            os.mkfifo(str(path))
        return found

    monkeypatch.setattr(reader_module.os, "stat", stat_then_swap)
    found = _finishes(lambda: Reader(tmp_path).read(tmp_path / "app.env"))
    assert isinstance(found, Unread) and "a FIFO" in str(found)


def test_a_link_swapped_in_after_the_check_is_not_followed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "secret").write_text("hunter2\n")
    (root / "Dockerfile").write_text("FROM python:3.12\n")
    real_stat = os.stat
    swapped: list[str] = []

    def stat_then_swap(path: object, *args: object, **kwargs: object) -> os.stat_result:
        found = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if str(path).endswith("Dockerfile") and not swapped:
            swapped.append(str(path))
            os.unlink(str(path))
            os.symlink(tmp_path / "secret", str(path))
        return found

    monkeypatch.setattr(reader_module.os, "stat", stat_then_swap)
    with pytest.raises(Unread, match="cannot read"):
        Reader(root).read(root / "Dockerfile")


def test_special_files_are_refused_by_kind(tmp_path: Path) -> None:
    with pytest.raises(Unread, match="not read: a character device, not a regular file"):
        Reader(Path("/dev")).read("/dev/zero")
    (tmp_path / "dir").mkdir()
    with pytest.raises(Unread, match="a directory"):
        Reader(tmp_path).read("dir")


def test_a_file_over_the_cap_is_refused_whole_and_says_so(tmp_path: Path) -> None:
    with open(tmp_path / "docker-compose.yml", "wb") as f:
        f.write(b"services: {}\n")
        f.truncate(1024 * 1024 * 1024)  # sparse: 1 GB, no disk used
    with pytest.raises(Unread) as caught:  # refused by its size: not a byte is read
        Reader(tmp_path, max_bytes=4096).read("docker-compose.yml")
    assert str(caught.value) == ("not read: 1073741824 bytes > cap of 4096 bytes "
                                 "(tree.max_file_bytes)")
    (tmp_path / "small.yml").write_bytes(b"x" * 4096)
    assert Reader(tmp_path, max_bytes=4096).read("small.yml").size == 4096


def test_missing_files_and_bad_utf8_say_why_without_the_content(tmp_path: Path) -> None:
    with pytest.raises(Unread, match="cannot read: No such file or directory"):
        Reader(tmp_path).read("nothing.yml")
    (tmp_path / "latin1.yml").write_bytes(b"password: caf\xe9-hunter2\n")
    content = Reader(tmp_path).read("latin1.yml")
    assert "\ufffd" in content.text
    with pytest.raises(Unread) as caught:
        content.utf8()
    assert str(caught.value) == "not read: not UTF-8 text (byte 0xe9 at offset 13)"


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    for name in "abcd":
        (tmp_path / name).write_bytes(name.encode() * 1000)
    reader = Reader(tmp_path, cache_bytes=2500)
    first = reader.read("a")
    for name in "bcd":
        reader.read(name)
    assert reader.read("a") is not first  # read again: it had left the cache
    assert reader.read("a").data == first.data


def test_a_path_resolved_once_is_still_checked_when_read_again(tmp_path: Path) -> None:
    """The resolution of a path is kept (a realpath per read cost an lstat per component);
    a file that left the cache and was swapped for a link out of the tree is not read."""
    root, outside = tmp_path / "root", tmp_path / "secret"
    root.mkdir()
    outside.write_text("TOKEN=outside\n")
    for name in "ab":
        (root / name).write_bytes(name.encode() * 1000)
    reader = Reader(root, cache_bytes=1500)
    assert reader.read("a").data == b"a" * 1000
    reader.read("b")  # "a" leaves the cache
    (root / "a").unlink()
    (root / "a").symlink_to(outside)
    with pytest.raises(Unread) as caught:
        reader.read("a")
    assert "TOKEN" not in str(caught.value)


@given(st.text(alphabet="ab\n\r\x0b\x1c\x85\u2028 ", max_size=60))
def test_the_line_table_agrees_with_splitlines(text: str) -> None:
    content = Content("x", text.encode())
    assert content.lines == text.splitlines()
    for offset in range(len(text)):
        line = content.line_at(offset)
        start = content.line_starts[line - 1]
        assert start <= offset
        assert text.splitlines(keepends=True)[line - 1] == \
            text[start:start + len(text.splitlines(keepends=True)[line - 1])]


# -- the walk ----------------------------------------------------------------------------


def test_the_walk_is_iterative_and_says_where_it_stopped(tmp_path: Path) -> None:
    path = tmp_path
    for _ in range(30):
        path = path / "d"
    path.mkdir(parents=True)
    (path / "deep.py").write_text("x = 1\n")
    (tmp_path / "top.py").write_text("x = 1\n")
    shallow = tree.inventory(tmp_path, max_depth=10)
    assert [f.rel for f in shallow.files] == ["top.py"]
    assert shallow.left_out.too_deep == ["/".join(["d"] * 11)]
    assert any("deeper than 10 directory levels" in note for note in shallow.not_read())
    assert [f.rel for f in tree.inventory(tmp_path).files] == \
        ["top.py", "/".join(["d"] * 30) + "/deep.py"]


def test_virtual_environments_are_known_by_their_marker_not_their_name(tmp_path: Path) -> None:
    for directory in ("env", "venv", ".venv", "tools/py"):
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "netbox.env").write_text("SECRET_KEY=x\n")
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "tools/py" / "conda-meta").mkdir()
    found = tree.inventory(tmp_path)
    assert [f.rel for f in found.files] == ["env/netbox.env", "venv/netbox.env"]
    assert sorted(found.left_out.environments) == [".venv", "tools/py"]


def test_names_that_are_not_utf8_are_kept_whole(tmp_path: Path) -> None:
    raw = b"Dockerfile.\xff\xfe"
    (tmp_path / os.fsdecode(raw)).write_bytes(b"FROM python\n")
    [file] = tree.inventory(tmp_path).files
    assert os.fsencode(file.rel) == raw
    assert tree.inventory(tmp_path).text(file) == "FROM python\n"


def test_special_files_are_noted_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "app.env")
    (tmp_path / "big.json").write_bytes(b"{}" + b" " * 5000)
    os.symlink("/etc/hostname", tmp_path / "host.txt")
    found = tree.inventory(tmp_path, max_bytes=4096)
    assert [f.rel for f in found.files] == ["big.json", "host.txt"]
    assert found.not_read() == [
        "app.env: not read: a FIFO, not a regular file",
        "big.json: not read: 5002 bytes > cap of 4096 bytes (tree.max_file_bytes)",
        f"host.txt: {reader_module.OUTSIDE}"]
    assert found.text(found.files[0]) is None and found.text(found.files[1]) is None


def test_the_walk_keeps_the_order_and_the_choices_of_os_walk(tmp_path: Path) -> None:
    """Same files in the same order as the recursive os.walk it replaced."""
    for rel in ("b/z.py", "b/a.py", "a.py", "a/b/c.py", "node_modules/x.js", "x.egg-info/y",
                "c/.git/config", "Z.md", "_/u.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    os.symlink("b", tmp_path / "linked-dir")
    os.symlink("a.py", tmp_path / "linked.py")
    expected = []
    for dirpath, dirnames, filenames in os.walk(tmp_path):
        dirnames[:] = sorted(d for d in dirnames if d not in tree.SKIP_DIRS
                             and not d.endswith(".egg-info"))
        base = Path(dirpath).relative_to(tmp_path).as_posix()
        expected += [name if base == "." else f"{base}/{name}" for name in sorted(filenames)]
    assert [f.rel for f in tree.inventory(tmp_path).files] == expected


# -- YAML within bounds -------------------------------------------------------------------


def _alias_bomb(depth: int, fan: int = 9) -> str:
    lines = ["n0: &n0 {receiver: nobody}"]
    for level in range(1, depth + 1):
        refs = ", ".join([f"*n{level - 1}"] * fan)
        lines.append(f"n{level}: &n{level} {{receiver: nobody, routes: [{refs}]}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "problem"), [
    (_alias_bomb(8), "aliases expand to more than 100000 nodes"),
    ("a: &loop [*loop]\n", "recursive alias *loop"),
    ("a: &m {b: *m}\n", "recursive alias *m"),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "nest"),
    ("a:\n" + "".join(f"{'  ' * (n + 1)}k{n}:\n" for n in range(150)) + "  " * 152 + "x\n",
     "nested deeper than 100 levels"),
    ("x: [" + ", ".join(["1"] * 2_000) + "]\n", "more than 1000 nodes"),
])
def test_hostile_yaml_is_refused_while_composing(text: str, problem: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlpos, "MAX_NODES", 1000)  # the bound itself is 250,000
    for load in (yamlpos.load, yamlpos.safe_load, yamlpos.compose):
        with pytest.raises(yamlpos.ParseError) as caught:
            load(text, "monitoring/alertmanager.yml")
        assert str(caught.value).startswith("monitoring/alertmanager.yml:"), caught.value
        assert problem in str(caught.value)


def test_aliases_and_merge_keys_still_work_with_their_lines() -> None:
    text = ("x-defaults: &defaults\n  restart: always\n  image: shop/api:1.2\n"
            "services:\n  api:\n    <<: *defaults\n    ports: ['8000:8000']\n"
            "  worker: *defaults\n")
    data = yamlpos.load(text, "docker-compose.yml")
    assert data["services"]["api"] == {"restart": "always", "image": "shop/api:1.2",
                                       "ports": ["8000:8000"]}
    assert data["services"]["worker"]["restart"] == "always"
    assert data["services"].line_of("worker") == 8
    assert data["services"]["api"].line_of("ports") == 7
    assert yaml.safe_load(text) == yamlpos.safe_load(text, "docker-compose.yml")


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=20)


@given(yaml_values, st.booleans())
def test_bounded_loading_gives_what_pyyaml_gives(value: object, flow: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow)
    assert yamlpos.safe_load(text, "x.yml") == yaml.safe_load(text)


@pytest.mark.parametrize("tail", [_alias_bomb(8).replace("\n", "\n  "), "&loop [*loop]",
                                  "[" * 5000 + "]" * 5000])
def test_readiness_yaml_bombs_are_config_errors(tail: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"system: shop\nextra:\n  {tail}\n", "repo/readiness.yaml")
    assert str(caught.value).startswith("repo/readiness.yaml:")
    assert "invalid YAML" in str(caught.value)
