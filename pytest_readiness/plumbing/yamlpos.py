"""YAML that remembers where things are, loaded within bounds.

:func:`load` parses with PyYAML's safe loader (anchors, aliases and ``<<``
merge keys included) into :class:`LineDict` / :class:`LineList`, plain dicts
and lists that also know the 1-based line of every key and item, so a finding
says ``docker-compose.yml:23``. A file that does not parse raises
:class:`ParseError` naming the file, line and column. No pytest here.

Every YAML the audit reads (readiness.yaml, compose files, workflows, monitoring
configs, config files) is composed by :class:`BoundedComposer`, which refuses, while
composing and before anything is built from the document: nesting deeper than
:data:`MAX_DEPTH`; aliases that expand to more than :data:`MAX_ALIAS_NODES` nodes in all
(a "billion laughs" bomb: 9 aliases to 9 aliases to ... is a few hundred bytes); and an
alias to a node that contains it (a cycle).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.resolver import Resolver

from pytest_readiness.plumbing.reader import Reader

MAX_DEPTH = 100  # nesting levels of one document (real files: < 20)
MAX_NODES = 250_000  # nodes of one document (a 100 kB compose file: a few thousand)
MAX_ALIAS_NODES = 100_000  # nodes aliases may add in all (merge keys in compose: hundreds)


class ParseError(Exception):
    """A deployment file that cannot be parsed; the message names file and line."""

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {problem}")
        self.file, self.problem, self.line = file, problem, line


def read_file(path: Path, rel: str, reader: Reader | None = None) -> str:
    """A deployment file's text, read through the bounded reader (default: one rooted at
    the file's directory); ParseError naming ``rel`` and why when it is not read."""
    try:
        return (reader or Reader(path.parent)).text(path)
    except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big, not UTF-8
        raise ParseError(rel, str(exc)) from None


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


class BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer with a depth bound, an alias-expansion bound and no cycles.

    Each composed node's size is kept as if its aliases were copied (memoised, so this
    costs one pass); every alias adds the size of the node it names to a running total.
    """

    if TYPE_CHECKING:  # the parser's half, mixed in below (Python's or libyaml's)
        def check_event(self, *choices: type[Event]) -> bool: ...
        def peek_event(self) -> Any: ...

    def compose_document(self) -> Any:
        self._sizes: dict[int, int] = {}
        self._open: set[str] = set()  # anchors of nodes being composed
        self._depth = 0
        self._aliased = 0
        return super().compose_document()

    def _refuse(self, problem: str, mark: Any) -> None:
        raise yaml.composer.ComposerError(None, None, problem, mark)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            if event.anchor in self._open:
                self._refuse(f"recursive alias *{event.anchor} (it refers to a node that "
                             "contains it)", event.start_mark)
            node = super().compose_node(parent, index)
            self._aliased += self._sizes.get(id(node), 1)
            if self._aliased > MAX_ALIAS_NODES:
                self._refuse(f"aliases expand to more than {MAX_ALIAS_NODES} nodes "
                             "(an alias bomb?)", event.start_mark)
            return node
        event = self.peek_event()
        if self._depth >= MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if len(self._sizes) >= MAX_NODES:  # read at each node: tests may lower it
            self._refuse(f"more than {MAX_NODES} nodes", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        self._sizes[id(node)] = self._size(node)
        return node

    def _size(self, node: yaml.Node | None) -> int:
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(self._sizes.get(id(child), 1) for child in node.value)
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(self._sizes.get(id(key), 1) + self._sizes.get(id(value), 1)
                           for key, value in node.value)
        return 1


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class SafeLoader(BoundedComposer, CParser, SafeConstructor, Resolver):
        """PyYAML's SafeLoader, bounded (:class:`BoundedComposer`): plain dicts and lists.

        Events come from libyaml's parser (the scanner is 10x faster in C); the document
        is composed here, in Python, within the bounds.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
else:  # pragma: no cover - PyYAML built without libyaml
    class SafeLoader(BoundedComposer, yaml.SafeLoader):  # type: ignore[no-redef,misc]
        """PyYAML's SafeLoader, bounded (:class:`BoundedComposer`): plain dicts and lists."""


class _Loader(SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.Node) -> Iterator[LineDict]:
    assert isinstance(node, yaml.MappingNode)  # the tag of mappings only
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


def _construct_seq(loader: _Loader, node: yaml.Node) -> Iterator[LineList]:
    assert isinstance(node, yaml.SequenceNode)  # the tag of sequences only
    data = LineList()
    data.line, data.item_lines = node.start_mark.line + 1, []
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.item_lines.append(child.start_mark.line + 1)


yaml.add_constructor("tag:yaml.org,2002:map", _construct_map, Loader=_Loader)
yaml.add_constructor("tag:yaml.org,2002:seq", _construct_seq, Loader=_Loader)


def documents(text: str, loader: type[SafeLoader] = SafeLoader) -> list[Any]:
    """Every document of ``text`` built by ``loader`` (what ``yaml.load_all`` does, with
    a loader class of our own); yaml.YAMLError on bad input."""
    parser = loader(text)
    try:
        out = []
        while parser.check_data():  # type: ignore[no-untyped-call]  # untyped in the stubs
            out.append(parser.get_data())
        return out
    finally:
        parser.dispose()


def document(text: str, loader: type[SafeLoader] = SafeLoader) -> Any:
    """The one document of ``text`` (None when empty), as ``yaml.load``; yaml.YAMLError
    on bad input or on a second document."""
    parser = loader(text)
    try:
        return parser.get_single_data()
    finally:
        parser.dispose()


LineLoader = _Loader  # subclass it to add a format's own tags (GitLab's !reference)


def load(text: str, file: str, loader: type[_Loader] = _Loader) -> Any:
    """Parse one YAML document with line numbers; ParseError names file:line on bad input."""
    try:
        return document(text, loader)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None


def load_all(text: str, file: str) -> list[Any]:
    """Every document of a multi-document YAML stream (``---`` separated)."""
    try:
        return documents(text, _Loader)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file, column=False) from None


def safe_load(text: str, file: str, loader: type[SafeLoader] = SafeLoader) -> Any:
    """One document as plain Python data (no line numbers), within the bounds."""
    try:
        return document(text, loader)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None


def compose(text: str, file: str) -> yaml.Node | None:
    """One document's node graph (marks, tags, anchors resolved), within the bounds."""
    parser = SafeLoader(text)
    try:
        return parser.get_single_node()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    finally:
        parser.dispose()


def yaml_error(exc: yaml.YAMLError, file: str, column: bool = True) -> ParseError:
    """``file:line: invalid YAML, column C: problem``: PyYAML's problem, never the
    snippet of the document PyYAML adds below it (a file may hold secrets)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 1 if mark is not None else None
    where = f", column {mark.column + 1}" if mark is not None and column else ""
    return ParseError(file, f"invalid YAML{where}: {problem}", line)


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
    yaml.add_constructor(_tag, _construct_tagged, Loader=_Loader)
