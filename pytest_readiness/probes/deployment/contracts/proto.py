"""Protobuf contracts compared semantically: compiled descriptors, not text.

Each ``.proto`` is compiled with grpcio-tools (``python -P -m grpc_tools.protoc
--descriptor_set_out --include_imports --include_source_info``, in a bounded
subprocess of its own directory: plumbing/processes.py) and reduced to a
:class:`Shape`: messages with
their fields (number, name, type, label), enums, services and methods, each
with its source line. Generated stubs are read without running them: the
serialized descriptor of a Python ``_pb2.py`` is taken from its
``AddSerializedFile(b'...')`` literal with :mod:`ast`, and that of a Go
``.pb.go`` from its raw descriptor bytes. No pytest here.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as FIELD
from google.protobuf.descriptor_pb2 import FileDescriptorProto as FDP
from google.protobuf.message import DecodeError

from pytest_readiness.plumbing import git, processes
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.tree import SourceFile, walk
from pytest_readiness.plumbing.yamlpos import ParseError
from pytest_readiness.vocabulary import Level


@dataclass(frozen=True)
class Field:
    number: int
    name: str
    type: str  # int64, string, ... or the full name of a message or enum type
    label: str  # repeated | optional | singular


@dataclass
class Shape:
    """What a .proto promises on the wire, with source lines where known."""

    file: str
    package: str
    messages: dict[str, dict[int, Field]] = field(default_factory=dict)
    reserved: dict[str, tuple[set[int], set[str]]] = field(default_factory=dict)
    enums: dict[str, dict[int, str]] = field(default_factory=dict)
    methods: dict[str, tuple[str, str, bool, bool]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # element key -> 1-based line

    def line(self, key: str) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0] if "#" not in key else key.partition("#")[0]
        return None


def _field(f: FIELD) -> Field:
    if f.type in (FIELD.TYPE_MESSAGE, FIELD.TYPE_ENUM):
        kind = f.type_name.lstrip(".")
    else:
        kind = FIELD.Type.Name(f.type).removeprefix("TYPE_").lower()
    if f.label == FIELD.LABEL_REPEATED:
        label = "repeated"
    elif f.proto3_optional or f.label == FIELD.LABEL_REQUIRED:
        label = "optional" if f.proto3_optional else "required"
    else:
        label = "singular"
    return Field(f.number, f.name, kind, label)


def _source_lines(fdp: FDP) -> dict[tuple[int, ...], int]:
    return {tuple(loc.path): loc.span[0] + 1 for loc in fdp.source_code_info.location
            if loc.span}


def shape_of(fdp: FDP) -> Shape:
    """Reduce a FileDescriptorProto to what matters on the wire."""
    lines = _source_lines(fdp)
    shape = Shape(fdp.name, fdp.package)
    prefix = f"{fdp.package}." if fdp.package else ""

    def add_enum(enum: descriptor_pb2.EnumDescriptorProto, name: str, path: tuple[int, ...]
                 ) -> None:
        shape.enums[name] = {v.number: v.name for v in enum.value}
        _line(shape, name, lines, path)

    def add_message(msg: descriptor_pb2.DescriptorProto, name: str, path: tuple[int, ...]
                    ) -> None:
        shape.messages[name] = {f.number: _field(f) for f in msg.field}
        shape.reserved[name] = ({n for r in msg.reserved_range for n in range(r.start, r.end)},
                                set(msg.reserved_name))
        _line(shape, name, lines, path)
        for j, f in enumerate(msg.field):
            _line(shape, f"{name}#{f.number}", lines, (*path, 2, j))
        for k, nested in enumerate(msg.nested_type):
            add_message(nested, f"{name}.{nested.name}", (*path, 3, k))
        for k, enum in enumerate(msg.enum_type):
            add_enum(enum, f"{name}.{enum.name}", (*path, 4, k))

    for i, msg in enumerate(fdp.message_type):
        add_message(msg, prefix + msg.name, (4, i))
    for i, enum in enumerate(fdp.enum_type):
        add_enum(enum, prefix + enum.name, (5, i))
    for i, service in enumerate(fdp.service):
        for j, m in enumerate(service.method):
            key = f"{prefix}{service.name}/{m.name}"
            shape.methods[key] = (m.input_type.lstrip("."), m.output_type.lstrip("."),
                                  m.client_streaming, m.server_streaming)
            _line(shape, key, lines, (6, i, 2, j))
    return shape


def _line(shape: Shape, key: str, lines: dict[tuple[int, ...], int], path: tuple[int, ...]
          ) -> None:
    if path in lines:
        shape.lines[key] = lines[path]


# --- compiling -----------------------------------------------------------------------

PROTOC_OUTPUT = 4 * 2**20  # protoc's messages; the descriptor set goes to a file
_CACHE: dict[tuple[Path, int, int, tuple[Path, ...]], FDP] = {}
_PROTOS: dict[Path, list[SourceFile]] = {}  # the .proto files under an import directory
_PROTOC_ERROR = re.compile(r"^(?P<file>[^:\n]+\.proto):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$",
                           re.MULTILINE)


def compile_proto(path: Path, rel: str, include_dirs: Iterable[Path] = (),
                  timeout: float = 60.0, reader: Reader | None = None) -> FDP:
    """The FileDescriptorProto of one .proto; ParseError (file:line) when it does not compile.

    protoc never reads the tree itself: the .proto files of every import directory inside
    the audited root are read through ``reader`` (default: one rooted at the file's
    directory) and copied into a private directory protoc compiles from, so a FIFO, a link
    out of the tree or a huge file among them is not read (import directories outside
    the root are the user's own, from readiness.yaml, and passed as they are).
    """
    reader = reader or Reader(path.parent)
    try:
        reader.read(path)
        info = path.stat()
    except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big
        raise ParseError(rel, str(exc) if str(exc).startswith("not read") else
                         f"cannot read: {exc.strerror or exc}") from None
    path = path.resolve()
    includes = tuple(dict.fromkeys([path.parent, *(p.resolve() for p in include_dirs)]))
    key = (path, info.st_mtime_ns, info.st_size, includes)
    if key in _CACHE:
        return _CACHE[key]
    with tempfile.TemporaryDirectory(prefix="readiness-proto-") as tmp:
        out = Path(tmp) / "set.pb"
        mirrored = [_mirror(d, Path(tmp, f"i{n}"), reader) for n, d in enumerate(includes)]
        # -P and a private working directory: a grpc_tools/ of the audited tree (the
        # current directory) is never run in place of grpcio-tools.
        command = [sys.executable, "-P", "-m", "grpc_tools.protoc",
                   *(f"-I{d}" for d in mirrored),
                   f"--descriptor_set_out={out}", "--include_imports", "--include_source_info",
                   str(mirrored[0] / path.name)]
        done = processes.run(command, deadline=timeout, cap=PROTOC_OUTPUT, cwd=tmp)
        if done.timed_out:
            raise ParseError(rel, f"protoc did not finish within {timeout:g}s")
        stderr = done.stderr.decode("utf-8", errors="replace")
        if done.capped:
            raise ParseError(rel, f"protoc wrote more than {PROTOC_OUTPUT // 2**20} MB of errors")
        if done.returncode != 0 or not out.exists():
            raise _compile_error(rel, stderr)
        descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    wanted = path.relative_to(path.parent).as_posix()
    fdp = next((f for f in descriptor_set.file if f.name == wanted), descriptor_set.file[-1])
    _CACHE[key] = fdp
    return fdp


def _mirror(directory: Path, into: Path, reader: Reader) -> Path:
    """The .proto files under ``directory`` copied (through ``reader``) into ``into``; a
    directory outside the reader's root is returned as it is."""
    if not reader.contains(directory):
        return directory
    into.mkdir()
    if directory not in _PROTOS:
        _PROTOS[directory] = [f for f in walk(directory) if f.rel.endswith(".proto")]
    for file in _PROTOS[directory]:
        try:
            data = reader.read(file.path).data
        except OSError:  # not read: protoc will say the import is missing
            continue
        target = into / file.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return into


def _compile_error(rel: str, stderr: str) -> ParseError:
    match = _PROTOC_ERROR.search(stderr)
    if match:
        return ParseError(rel, f"does not compile: {match['msg'].strip()}", int(match["line"]))
    first = next((line for line in stderr.splitlines() if line.strip()), "protoc failed")
    return ParseError(rel, f"does not compile: {first.strip()[:300]}")


# --- comparing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    key: str  # element: pkg.Message#3, pkg.Service/Method, pkg.Enum
    message: str


def differences(a: Shape, b: Shape) -> list[Difference]:
    """How ``b`` differs from ``a``, element by element (order and comments ignored)."""
    out: list[Difference] = []
    ref = a.file
    if a.package != b.package:
        out.append(Difference("", f"package {b.package!r} differs from {a.package!r}"))
    for name in sorted(a.messages.keys() | b.messages.keys()):
        if name not in b.messages:
            out.append(Difference(name, f"message {name} is missing (present in {ref})"))
            continue
        if name not in a.messages:
            out.append(Difference(name, f"message {name} is extra (not in {ref})"))
            continue
        for number in sorted(a.messages[name].keys() | b.messages[name].keys()):
            fa, fb = a.messages[name].get(number), b.messages[name].get(number)
            key = f"{name}#{number}"
            if fb is None:
                assert fa is not None
                out.append(Difference(key, f"field {name}.{fa.name} = {number} is missing "
                                           f"(present in {ref})"))
            elif fa is None:
                out.append(Difference(key, f"field {name}.{fb.name} = {number} is extra "
                                           f"(not in {ref})"))
            elif fa != fb:
                out.append(Difference(key, f"field {name} = {number} is {_describe(fb)} here "
                                           f"but {_describe(fa)} in {ref}"))
    for name in sorted(a.enums.keys() | b.enums.keys()):
        if a.enums.get(name) != b.enums.get(name):
            out.append(Difference(name, f"enum {name} values {b.enums.get(name)} differ from "
                                        f"{a.enums.get(name)} in {ref}"))
    for name in sorted(a.methods.keys() | b.methods.keys()):
        if a.methods.get(name) != b.methods.get(name):
            said = ("is missing" if name not in b.methods else "is extra" if name not in
                    a.methods else f"signature {b.methods[name]} differs from "
                    f"{a.methods[name]} in {ref}")
            out.append(Difference(name, f"rpc {name} {said}"))
    return out


def _describe(f: Field) -> str:
    label = "" if f.label == "singular" else f"{f.label} "
    return f"{label}{f.type} {f.name}"


def breaking_changes(old: Shape, new: Shape) -> list[Difference]:
    """Changes from ``old`` to ``new`` that break existing clients or stored data."""
    out: list[Difference] = []
    for name, fields in old.messages.items():
        if name not in new.messages:
            out.append(Difference(name, f"message {name} was removed"))
            continue
        numbers, names = new.reserved.get(name, (set(), set()))
        by_name = {f.name: f for f in new.messages[name].values()}
        for number, before in fields.items():
            after = new.messages[name].get(number)
            key = f"{name}#{number}"
            if after is None:
                moved = by_name.get(before.name)
                if moved is not None:
                    out.append(Difference(f"{name}#{moved.number}",
                                          f"field {name}.{before.name} was renumbered "
                                          f"{number} -> {moved.number}"))
                elif number not in numbers:
                    out.append(Difference(name, f"field {name}.{before.name} = {number} was "
                                                "removed without reserving its number"))
            elif after.type != before.type or after.label != before.label:
                out.append(Difference(key, f"field {name}.{before.name} changed type "
                                           f"{_describe(before)} -> {_describe(after)}"))
    for name, values in old.enums.items():
        gone = sorted(set(values) - set(new.enums.get(name, {})))
        if name in new.enums and gone:
            out.append(Difference(name, f"enum {name} lost values {gone}"))
        elif name not in new.enums:
            out.append(Difference(name, f"enum {name} was removed"))
    for name, signature in old.methods.items():
        if name not in new.methods:
            out.append(Difference(name.rpartition("/")[0], f"rpc {name} was removed"))
        elif new.methods[name] != signature:
            out.append(Difference(name, f"rpc {name} changed signature {signature} -> "
                                        f"{new.methods[name]}"))
    return out


def locate(diffs: Iterable[Difference], shape: Shape, rel: str, rule: str,
           fallback: Shape | None = None, level: str = Level.ERROR) -> list[Finding]:
    """Findings at the line of each element in ``rel`` (first line when it is missing)."""
    return [Finding(rule, d.message, rel, shape.line(d.key) or
                    (fallback.line(d.key) if fallback and not shape.line(d.key) else None),
                    level=level) for d in diffs]


# --- generated stubs ----------------------------------------------------------------


def python_stub_descriptor(text: str, rel: str, tree: ast.Module | None = None) -> FDP | None:
    """The FileDescriptorProto serialized in a ``_pb2.py``, read with ast (never imported);
    ``tree``: the file's parse tree when the codebase index has it (not parsed again)."""
    if tree is None:
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            raise ParseError(rel, f"invalid Python: {exc.msg}", exc.lineno) from None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "AddSerializedFile" and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, bytes)):
            return _decode(node.args[0].value, rel)
    return None


_GO_BYTES = re.compile(r"var file_\w+_rawDesc = \[\]byte\{(?P<body>.*?)\n\}", re.DOTALL)
_GO_STRING = re.compile(r"const file_\w+_rawDesc = (?P<body>(?:\"(?:[^\"\\\n]|\\.)*\"\s*\+?\s*)+)")


def go_stub_descriptor(text: str, rel: str) -> FDP | None:
    """The raw descriptor of a ``.pb.go`` (``[]byte{0x0a, ...}`` or a string constant)."""
    match = _GO_BYTES.search(text)
    if match:
        body = re.sub(r"//[^\n]*", "", match["body"])
        data = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", body))
        return _decode(data, rel)
    match = _GO_STRING.search(text)
    if match:
        parts = re.findall(r"\"((?:[^\"\\\n]|\\.)*)\"", match["body"])
        return _decode(b"".join(go_unquote(p) for p in parts), rel)
    return None


_GO_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39,
               '"': 34}


def go_unquote(body: str) -> bytes:
    """Bytes of a Go interpreted string literal body (\\x, octal and single-char escapes)."""
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif nxt in "01234567":
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(_GO_ESCAPES[nxt])
            i += 2
    return bytes(out)


def _decode(data: bytes, rel: str) -> FDP:
    try:
        return FDP.FromString(data)
    except DecodeError as exc:
        raise ParseError(rel, f"embedded descriptor does not decode: {exc}") from None


def is_stub(rel: str) -> bool:
    return rel.endswith(("_pb2.py", ".pb.go"))


def stub_descriptor(text: str, rel: str, tree: ast.Module | None = None) -> FDP | None:
    return python_stub_descriptor(text, rel, tree) if rel.endswith(".py") else \
        go_stub_descriptor(text, rel)


def sources_of(stub_name: str, protos: Iterable[str], stub_rel: str) -> list[str]:
    """The .proto files a stub may come from (same name), nearest by directory first."""
    protos = list(protos)
    candidates = [p for p in protos if p == stub_name or p.endswith("/" + stub_name)]
    if not candidates:
        base = stub_name.rsplit("/", 1)[-1]
        candidates = [p for p in protos if p.rsplit("/", 1)[-1] == base]
    stub_dir = stub_rel.rsplit("/", 1)[0].split("/") if "/" in stub_rel else []

    def shared(p: str) -> int:
        parts = p.split("/")[:-1]
        return next((i for i, (x, y) in enumerate(zip(parts, stub_dir, strict=False)) if x != y),
                    min(len(parts), len(stub_dir)))

    return sorted(candidates, key=lambda p: (-shared(p), len(p), p))


def source_of(stub_name: str, protos: Iterable[str], stub_rel: str) -> str | None:
    found = sources_of(stub_name, protos, stub_rel)
    return found[0] if found else None


# --- git history ----------------------------------------------------------------------


def file_at_ref(root: Path, rel: str, ref: str, timeout: float) -> str | None:
    """``git show REF:path`` (read-only); None when the file did not exist at REF."""
    try:
        done = git.run(root, "show", f"{ref}:./{rel}", timeout=timeout)
    except OSError as exc:
        raise ParseError(rel, f"cannot run git: {exc}") from None
    if done.timed_out:
        raise ParseError(rel, f"git show {ref} did not finish within {timeout:g}s")
    if done.capped:
        raise ParseError(rel, f"git show {ref}: more than {git.MAX_OUTPUT // 2**20} MB")
    if done.returncode == 0:
        return done.stdout.decode("utf-8", errors="replace")
    error = done.stderr.decode("utf-8", errors="replace")
    if "exists on disk, but not in" in error or "does not exist in" in error:
        return None
    raise ParseError(rel, f"git show {ref}:{rel} failed: {error.strip()[:200]}")


def compile_old_version(root: Path, rel: str, text: str, protos: Iterable[str],
                        timeout: float, reader: Reader | None = None) -> FDP:
    """Compile a past version of ``rel`` beside today's other protos (for its imports, read
    through ``reader``, default one rooted at ``root``)."""
    reader = reader or Reader(root)
    with tempfile.TemporaryDirectory(prefix="readiness-base-") as tmp:
        base = Path(tmp)
        for other in protos:
            target = base / other
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.write_bytes(reader.read(root / other).data)
            except OSError:
                continue
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text, encoding="utf-8")
        return compile_proto(base / rel, rel, [base], timeout)
