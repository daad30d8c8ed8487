"""The one-pass floor of a code audit: what reading a tree once costs in this Python.

    python benchmarks/floor.py TREE [--patterns PATTERNS.json]

One pass over TREE: every file read once (bytes, decoded as UTF-8 with
replacement), every secret regex of the tool searched over the whole decoded
text, and ``ast.parse`` of every ``.py`` file. Nothing else: no roles, no rules,
no reports. bench_audit.py runs it in a fresh process beside the audit and
divides. PATTERNS.json is ``[[rule id, regex, re flags], ...]`` (bench_audit.py
writes it from the tool's own rules, so this process imports nothing of the
tool); without it the patterns are taken from the installed tool.

Prints one JSON line: files, bytes, Python files, parse errors, matches, seconds.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import time
import warnings
from pathlib import Path

SKIPPED_DIRS = {".git", ".hg", ".svn"}


def one_pass(tree: Path, patterns: list[re.Pattern[str]]) -> dict[str, float]:
    """Counts, and the seconds spent reading, matching and parsing."""
    files = size = python = parse_errors = matches = 0
    read_s = regex_s = parse_s = 0.0
    clock = time.perf_counter
    for directory, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                continue
            start = clock()
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            files, size = files + 1, size + len(data)
            text = data.decode("utf-8", "replace")
            read_done = clock()
            for pattern in patterns:
                for _ in pattern.finditer(text):
                    matches += 1
            regex_done = clock()
            read_s, regex_s = read_s + read_done - start, regex_s + regex_done - read_done
            if name.endswith(".py"):
                python += 1
                try:
                    ast.parse(text, filename=path)
                except (SyntaxError, ValueError):
                    parse_errors += 1
                parse_s += clock() - regex_done
    return {"files": files, "bytes": size, "python": python, "parse_errors": parse_errors,
            "matches": matches, "read_s": read_s, "regex_s": regex_s, "parse_s": parse_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--patterns", type=Path)
    args = parser.parse_args()
    if args.patterns:
        rules = json.loads(args.patterns.read_text(encoding="utf-8"))
    else:
        import _internals

        rules = _internals.secret_patterns()
    patterns = [re.compile(source, flags) for _, source, flags in rules]
    warnings.simplefilter("ignore")  # SyntaxWarning of odd escapes in parsed files
    start = time.perf_counter()
    result = one_pass(args.tree, patterns)
    result["seconds"] = time.perf_counter() - start
    result["patterns"] = len(patterns)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
