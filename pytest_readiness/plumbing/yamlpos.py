"""YAML that remembers where things are.

:func:`load` parses with PyYAML's safe loader (anchors, aliases and ``<<``
merge keys included) into :class:`LineDict` / :class:`LineList`, plain dicts
and lists that also know the 1-based line of every key and item, so a finding
says ``docker-compose.yml:23``. A file that does not parse raises
:class:`ParseError` naming the file, line and column. No pytest here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import yaml


class ParseError(Exception):
    """A deployment file that cannot be parsed; the message names file and line."""

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {problem}")
        self.file, self.problem, self.line = file, problem, line


class LineDict(dict[Any, Any]):
    """A mapping from YAML with the line of the mapping and of each key."""

    line: int = 0
    key_lines: dict[Hashable, int]

    def line_of(self, key: Hashable, default: int | None = None) -> int:
        return self.key_lines.get(key) or default or self.line


class LineList(list[Any]):
    """A sequence from YAML with the line of the sequence and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line, data.key_lines = node.start_mark.line + 1, {}
    yield data
    loader.flatten_mapping(node)  # resolves ``<<: *defaults`` merge keys
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line, data.item_lines = node.start_mark.line + 1, []
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.item_lines.append(child.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load(text: str, file: str) -> Any:
    """Parse one YAML document with line numbers; ParseError names file:line on bad input."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        raise ParseError(file, f"invalid YAML{column}: {problem}", line) from None


def load_all(text: str, file: str) -> list[Any]:
    """Every document of a multi-document YAML stream (``---`` separated)."""
    try:
        return list(yaml.load_all(text, Loader=_Loader))  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParseError(file, f"invalid YAML: {problem}",
                         mark.line + 1 if mark is not None else None) from None


def line_of(container: Any, key: Any, default: int = 0) -> int:
    """The line of ``key`` in a LineDict / LineList (``default`` for anything else)."""
    if isinstance(container, (LineDict, LineList)):
        return container.line_of(key) or default
    return default


def as_mapping(value: Any) -> LineDict:
    return value if isinstance(value, LineDict) else LineDict()


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Tagged:
    """A value under one of Compose's merge tags, ``!reset`` or ``!override``
    (merge.md): kept with its tag so the merge can honour it."""

    __slots__ = ("tag", "value", "line")

    def __init__(self, tag: str, value: Any, line: int) -> None:
        self.tag, self.value, self.line = tag, value, line

    def __repr__(self) -> str:
        return f"Tagged({self.tag!r}, {self.value!r})"


def _construct_tagged(loader: _Loader, node: yaml.Node) -> Tagged:
    built: Iterator[Any]
    if isinstance(node, yaml.MappingNode):
        built = _construct_map(loader, node)
    elif isinstance(node, yaml.SequenceNode):
        built = _construct_seq(loader, node)
    else:
        tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
        scalar = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark,
                                 getattr(node, "style", None))
        return Tagged(node.tag, loader.construct_object(scalar), node.start_mark.line + 1)
    value: Any = next(built)
    for _ in built:
        pass
    return Tagged(node.tag, value, node.start_mark.line + 1)


for _tag in ("!reset", "!override"):
    _Loader.add_constructor(_tag, _construct_tagged)
