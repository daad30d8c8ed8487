"""Config files of any common format, parsed to a mapping, and required keys looked up.

Shared by the codebase's config files (probes/code/secrets.py) and config files read on
hosts (probes/hosts/configs.py): YAML, JSON, TOML, INI/CFG/CONF and ``.env`` lines. Only
key names leave these functions in messages, never values.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib

from pytest_readiness.plumbing import yamlpos

ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")
FORMATS = ("yaml", "json", "toml", "ini", "env")
_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml", ".ini": "ini",
             ".cfg": "ini", ".conf": "ini"}


def format_of(name: str) -> str:
    """The format a file name says (by extension); anything else is read as ``.env`` lines."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    return _SUFFIXES.get(suffix, "env")


def parse_env(text: str) -> dict[str, str]:
    """KEY=value lines of a .env file (quotes removed, comments and blanks skipped)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if match:
            value = match[2]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif " #" in value:
                value = value.split(" #", 1)[0].rstrip()
            values[match[1]] = value
    return values


def parse_text(text: str, kind: str, source: str = "") -> dict[str, object]:
    """Parse ``text`` as ``kind`` (:data:`FORMATS`); raises the parser's own error."""
    data: object
    if kind == "yaml":
        data = yamlpos.safe_load(text, source or "<config>")  # bounded: depth, nodes, aliases
    elif kind == "json":
        data = json.loads(text)
    elif kind == "toml":
        data = tomllib.loads(text)
    elif kind == "ini":
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text, source=source or "<config>")
        sections: dict[str, object] = {name: dict(parser[name]) for name in parser.sections()}
        sections.update(parser.defaults())
        data = sections
    else:
        data = parse_env(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"expected a mapping at the top level (got {type(data).__name__})")
    return data


def lookup(data: dict[str, object], key: str) -> tuple[bool, object]:
    """A dotted key (``database.url``); INI keys are also found in any section."""
    if key in data:
        return True, data[key]
    node: object = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
    else:
        return True, node
    for value in data.values():
        if isinstance(value, dict) and key in value and \
                all(isinstance(v, str) for v in value.values()):
            return True, value[key]
    return False, None


def missing_and_empty(data: dict[str, object], keys: list[str]) -> tuple[list[str], list[str]]:
    """Required keys absent, and those present with an empty value (None or blank)."""
    missing, empty = [], []
    for key in keys:
        present, value = lookup(data, key)
        if not present:
            missing.append(key)
        elif value is None or (isinstance(value, str) and not value.strip()):
            empty.append(key)
    return missing, empty


def parse_problem(exc: Exception, name: str) -> tuple[str, int | None]:
    """A parser's error as one line naming the file, and its line when the parser knows it
    (its first line, which never quotes the file)."""
    if isinstance(exc, yamlpos.ParseError):
        return f"cannot parse {name}: {exc.problem}", exc.line
    line = getattr(getattr(exc, "problem_mark", None), "line", None)
    line = line + 1 if line is not None else getattr(exc, "lineno", None)
    return f"cannot parse {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", line
