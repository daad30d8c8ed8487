"""Merging Compose files as the specification's ``13-merge.md`` says, keeping where
every value comes from. Pure functions, no I/O.

Mappings are merged key by key (the overlay wins on a conflict); sequences are
appended; ``command``, ``entrypoint`` and ``healthcheck.test`` are replaced;
``environment``, ``labels``, ``annotations``, ``sysctls``, ``extra_hosts``,
``build.args`` / ``build.labels`` / ``deploy.labels`` are ``KEY=VALUE`` lists or
mappings, merged as mappings; ``depends_on`` and ``networks`` lists become mappings;
``ports``, ``volumes``, ``secrets`` and ``configs`` are unique by their key (volume
target, secret/config target, ``{ip, target, published, protocol}`` for ports): an
overlay entry with the same key replaces the base entry, others are appended;
``build: ./dir`` is ``build: {context: ./dir}``; ``!reset`` removes a value and
``!override`` replaces it without merging.

Every mapping and sequence is a :class:`SourcedDict` / :class:`SourcedList`: a
:class:`~yamlpos.LineDict` / ``LineList`` that also knows, per key or item, the file
that set it, so a finding names the overlay that sets a value or the base file that
declares the service lacking it (:func:`where`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from pytest_readiness.plumbing.yamlpos import LineDict, LineList, Tagged

Path = tuple[str, ...]
ANY = "*"
REPLACED = (("services", ANY, "command"), ("services", ANY, "entrypoint"),
            ("services", ANY, "healthcheck", "test"))
KEY_VALUE = (("services", ANY, "environment"), ("services", ANY, "labels"),
             ("services", ANY, "annotations"), ("services", ANY, "sysctls"),
             ("services", ANY, "extra_hosts"), ("services", ANY, "build", "args"),
             ("services", ANY, "build", "labels"), ("services", ANY, "deploy", "labels"),
             ("networks", ANY, "labels"), ("volumes", ANY, "labels"))
TO_MAPPING = (("services", ANY, "depends_on"), ("services", ANY, "networks"))
UNIQUE = ("ports", "volumes", "secrets", "configs")


class SourcedDict(LineDict):
    """A mapping that knows the file of itself (``file``) and of each key."""

    file: str = ""
    key_files: dict[Hashable, str]

    def file_of(self, key: Hashable) -> str:
        return self.key_files.get(key) or self.file


class SourcedList(LineList):
    """A sequence that knows the file of itself and of each item."""

    file: str = ""
    item_files: list[str]

    def file_of(self, index: int) -> str:
        return self.item_files[index] if 0 <= index < len(self.item_files) else self.file


def new_dict(file: str, line: int) -> SourcedDict:
    data = SourcedDict()
    data.file, data.line, data.key_lines, data.key_files = file, line, {}, {}
    return data


def new_list(file: str, line: int) -> SourcedList:
    data = SourcedList()
    data.file, data.line, data.item_lines, data.item_files = file, line, [], []
    return data


def put(target: SourcedDict, key: Hashable, value: Any, file: str, line: int) -> None:
    target[key] = value
    target.key_lines[key] = line
    target.key_files[key] = file


def append(target: SourcedList, value: Any, file: str, line: int) -> None:
    target.append(value)
    target.item_lines.append(line)
    target.item_files.append(file)


def sourced(value: Any, file: str) -> Any:
    """A loaded YAML tree (LineDict/LineList, Tagged values) as Sourced nodes of ``file``."""
    if isinstance(value, Tagged):
        return Tagged(value.tag, sourced(value.value, file), value.line)
    if isinstance(value, LineDict):
        out = new_dict(file, value.line)
        for key, item in value.items():
            put(out, key, sourced(item, file), file, value.line_of(key))
        return out
    if isinstance(value, LineList):
        seq = new_list(file, value.line)
        for index, item in enumerate(value):
            append(seq, sourced(item, file), file, value.line_of(index))
        return seq
    return value


def untagged(value: Any) -> Any:
    """``value`` with merge tags applied to nothing: ``!override x`` is x, ``!reset`` keys go."""
    if isinstance(value, Tagged):
        return None if value.tag == "!reset" else untagged(value.value)
    if isinstance(value, SourcedDict):
        out = new_dict(value.file, value.line)
        for key, item in value.items():
            if not (isinstance(item, Tagged) and item.tag == "!reset"):
                put(out, key, untagged(item), value.file_of(key), value.line_of(key))
        return out
    if isinstance(value, SourcedList):
        seq = new_list(value.file, value.line)
        for index, item in enumerate(value):
            append(seq, untagged(item), value.file_of(index), value.line_of(index))
        return seq
    return value


def plain(value: Any) -> Any:
    """Plain dicts and lists (for schema validation, comparisons, JSON)."""
    if isinstance(value, Tagged):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def where(container: Any, key: Hashable, default: tuple[str, int] = ("", 0)) -> tuple[str, int]:
    """(file, line) where ``key`` of a Sourced mapping / index of a sequence was set."""
    if isinstance(container, SourcedDict):
        if key in container:
            return container.file_of(key), container.line_of(key)
        return container.file, container.line
    if isinstance(container, SourcedList) and isinstance(key, int):
        return container.file_of(key), container.line_of(key)
    return default


def _matches(path: Path, patterns: tuple[Path, ...]) -> bool:
    return any(len(p) == len(path) and all(a in (ANY, b) for a, b in zip(p, path, strict=True))
               for p in patterns)


# --- normalising the forms that merge as something else ---------------------------------

def key_value_mapping(value: Any) -> Any:
    """``["A=1", "B"]`` -> ``{A: "1", B: None}`` (a SourcedDict keeps each item's line)."""
    if not isinstance(value, SourcedList):
        return value
    out = new_dict(value.file, value.line)
    for index, item in enumerate(value):
        key, sep, text = str(item).partition("=")
        put(out, key.strip(), text if sep else None, value.file_of(index), value.line_of(index))
    return out


def list_mapping(value: Any) -> Any:
    """``depends_on: [db]`` -> ``{db: {}}``; ``networks: [front]`` -> ``{front: None}``."""
    if not isinstance(value, SourcedList):
        return value
    out = new_dict(value.file, value.line)
    for index, item in enumerate(value):
        put(out, str(item), None, value.file_of(index), value.line_of(index))
    return out


PORT = re.compile(r"^(?:(?P<ip>\[[^\]]*\]|[^:\[\]]*):)??(?:(?P<published>[^:]*):)?"
                  r"(?P<target>[^:/]+)(?:/(?P<protocol>\w+))?$")


def unique_key(kind: str, item: Any) -> Hashable:
    """The key that makes an entry of ``ports`` / ``volumes`` / ``secrets`` / ``configs``
    unique (merge.md "Unique resources")."""
    if isinstance(item, dict):
        if kind == "ports":
            return (str(item.get("host_ip", "")), str(item.get("target", "")),
                    str(item.get("published", "")), str(item.get("protocol", "tcp")))
        return str(item.get("target") or item.get("source") or "")
    text = str(item)
    if kind == "ports":
        match = PORT.match(text)
        if match:
            return (match["ip"] or "", match["target"], match["published"] or "",
                    match["protocol"] or "tcp")
        return text
    if kind == "volumes":
        parts = text.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return text


# --- merging ---------------------------------------------------------------------------

def merge(base: Any, overlay: Any, path: Path = ()) -> Any:
    """``overlay`` merged onto ``base`` at ``path`` (e.g. ``("services", "web")``)."""
    if isinstance(overlay, Tagged):
        return None if overlay.tag == "!reset" else untagged(overlay.value)
    if _matches(path, REPLACED):
        return untagged(overlay)
    if _matches(path, KEY_VALUE):
        base, overlay = key_value_mapping(base), key_value_mapping(overlay)
    elif _matches(path, TO_MAPPING):
        base, overlay = list_mapping(base), list_mapping(overlay)
    elif len(path) == 3 and path[0] == "services" and path[2] == "build":
        base, overlay = _build_mapping(base), _build_mapping(overlay)
    elif len(path) == 3 and path[0] == "services" and path[2] in UNIQUE:
        return _merge_unique(path[2], base, overlay)
    if isinstance(base, SourcedDict) and isinstance(overlay, SourcedDict):
        return merge_mappings(base, overlay, path)
    if isinstance(base, SourcedList) and isinstance(overlay, SourcedList):
        out = untagged(base)
        for index, item in enumerate(overlay):
            append(out, untagged(item), overlay.file_of(index), overlay.line_of(index))
        return out
    return untagged(overlay)  # scalars, or a kind change: the overlay wins


def merge_mappings(base: SourcedDict, overlay: SourcedDict, path: Path = ()) -> SourcedDict:
    out = untagged(base)
    assert isinstance(out, SourcedDict)
    for key, value in overlay.items():
        file, line = overlay.file_of(key), overlay.line_of(key)
        if isinstance(value, Tagged) and value.tag == "!reset":
            out.pop(key, None)
            continue
        if key in out and not (isinstance(value, Tagged) and value.tag == "!override"):
            merged = merge(out[key], value, (*path, str(key)))
            if isinstance(merged, SourcedDict) and isinstance(out[key], dict):
                put(out, key, merged, out.file_of(key), out.line_of(key))  # declared in base
                continue
            put(out, key, merged, file, line)
        else:
            put(out, key, untagged(value), file, line)
    return out


def _build_mapping(value: Any) -> Any:
    if isinstance(value, str):
        out = new_dict("", 0)
        put(out, "context", value, "", 0)
        return out
    return value


def _merge_unique(kind: str, base: Any, overlay: Any) -> Any:
    if not isinstance(overlay, SourcedList):
        return untagged(overlay)
    if not isinstance(base, SourcedList):
        return untagged(overlay)
    out = untagged(base)
    assert isinstance(out, SourcedList)
    keys = [unique_key(kind, item) for item in out]
    for index, item in enumerate(overlay):
        key = unique_key(kind, item)
        if key in keys:
            at = keys.index(key)
            out[at] = untagged(item)
            out.item_lines[at] = overlay.line_of(index)
            out.item_files[at] = overlay.file_of(index)
        else:
            append(out, untagged(item), overlay.file_of(index), overlay.line_of(index))
            keys.append(key)
    return out

