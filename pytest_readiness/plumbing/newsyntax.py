"""Python source newer than the running interpreter, brought down to what it parses.

The codebase index parses with the running CPython (plumbing/pyast.py). A file written for a
newer Python (``except A, B:`` of 3.14, ``t"..."`` template strings, ``type X = ...`` and
``def f[T]()`` of 3.12) is a syntax error there, and a rule that skipped it would pass on
code it never read. Such a file is parsed again with LibCST, whose own parser knows the
grammar of Python 3.0 to 3.14, and rewritten into the same program in the older syntax,
keeping every line where it was:

- ``except A, B:`` -> ``except (A, B):`` (the same tree in every version);
- ``t"..."`` -> ``f"..."`` (the same expressions and calls; the value's type differs);
- ``type X = V`` -> ``X = V``; ``def f[T](...)``/``class C[T]`` lose their type parameters.

The rewritten text is then parsed by the running CPython as usual. What LibCST does not
parse, or what the rewriting does not cover, stays a file that was not analysed, said so
by the checks (:func:`pyast.not_analysed`). Chosen over a newer CPython in a subprocess:
LibCST is a maintained wheel on every platform the plugin supports, needs no second
interpreter, and runs in-process without a time limit to police (the reader caps the
file's size). No pytest here.
"""

from __future__ import annotations

import libcst as cst


class _Downgrade(cst.CSTTransformer):
    def leave_ExceptHandler(self, original: cst.ExceptHandler,
                            updated: cst.ExceptHandler) -> cst.ExceptHandler:
        kind = updated.type
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            return updated.with_changes(type=kind.with_changes(lpar=[cst.LeftParen()],
                                                               rpar=[cst.RightParen()]))
        return updated

    def leave_ExceptStarHandler(self, original: cst.ExceptStarHandler,
                                updated: cst.ExceptStarHandler) -> cst.ExceptStarHandler:
        kind = updated.type
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            return updated.with_changes(type=kind.with_changes(lpar=[cst.LeftParen()],
                                                               rpar=[cst.RightParen()]))
        return updated

    def leave_TemplatedString(self, original: cst.TemplatedString,
                              updated: cst.TemplatedString) -> cst.FormattedString:
        return cst.FormattedString(parts=[_part(p) for p in updated.parts],
                                   start=updated.start.replace("t", "f").replace("T", "F"),
                                   end=updated.end, lpar=updated.lpar, rpar=updated.rpar)

    def leave_TypeAlias(self, original: cst.TypeAlias,
                        updated: cst.TypeAlias) -> cst.Assign:
        return cst.Assign(targets=[cst.AssignTarget(updated.name)], value=updated.value)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return updated.with_changes(type_parameters=None) if updated.type_parameters else updated


def _part(part: cst.BaseTemplatedStringContent) -> cst.BaseFormattedStringContent:
    if isinstance(part, cst.TemplatedStringText):
        return cst.FormattedStringText(part.value)
    assert isinstance(part, cst.TemplatedStringExpression)
    spec = [_part(p) for p in part.format_spec] if part.format_spec is not None else None
    return cst.FormattedStringExpression(
        expression=part.expression, conversion=part.conversion, format_spec=spec,
        whitespace_before_expression=part.whitespace_before_expression,
        whitespace_after_expression=part.whitespace_after_expression, equal=part.equal)


def downgraded(text: str) -> str | None:
    """``text`` rewritten in the syntax the running Python parses, or None when LibCST does
    not parse it either (a file with a real syntax error, or of another language)."""
    try:
        tree = cst.parse_module(text)
        return tree.visit(_Downgrade()).code
    except (cst.ParserSyntaxError, RecursionError, ValueError, TypeError):
        return None
