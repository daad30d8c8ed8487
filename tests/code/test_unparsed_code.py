"""Code the running Python cannot parse is analysed through LibCST, or said: never passed.

Trees of their own: a 3.14 file (``except A, B:``) whose TLS problem must still be found,
3.12 syntax (``type``, ``def f[T]``), t-strings, and a file no parser reads, which makes
every AST check warn (production) or note (tests)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pytest_readiness.plumbing import newsyntax, pyast

PY314 = '''
import requests

def fetch(url):
    try:
        return requests.get(url, verify=False, timeout=5)
    except ValueError, TypeError:
        return None
'''


@pytest.mark.parametrize(("source", "expected"), [
    ("try:\n    pass\nexcept A, B:\n    pass\n", "except (A, B):"),
    ("try:\n    pass\nexcept* A, B:\n    pass\n", "except* (A, B):"),
    ('x = t"hi {a!r:>3}"\n', 'x = f"hi {a!r:>3}"'),
    ("type Alias = list[int]\n", "Alias = list[int]"),
    ("def f[T](x: T) -> T:\n    return x\n", "def f(x: T) -> T:"),
    ("class Box[T]:\n    pass\n", "class Box:"),
])
def test_newer_syntax_is_rewritten_on_the_same_lines(source: str, expected: str) -> None:
    rewritten = newsyntax.downgraded(source)
    assert rewritten is not None and expected in rewritten
    assert rewritten.count("\n") == source.count("\n")
    ast.parse(rewritten)  # the running Python reads it


def test_a_314_file_is_analysed_and_its_lines_kept() -> None:
    module = pyast.parse(textwrap.dedent(PY314).lstrip(), "app/fetch.py")
    assert module.error is None and module.parsed_by == "libcst"
    call = next(c for c in module.calls if c.name == "requests.get")
    assert call.line == 5 and pyast.is_false(call.keyword("verify"))
    assert "except ValueError, TypeError:" in module.text  # snippets show the real source


@pytest.mark.parametrize("source", ["def f(:\n    pass\n", "x = = 1\n", "<?php echo 1; ?>\n"])
def test_broken_code_stays_an_error(source: str) -> None:
    module = pyast.parse(source, "app/broken.py")
    assert module.tree is None and module.error and module.error.startswith("line ")


def test_checks_find_problems_in_newer_syntax(run_suite) -> None:
    run = run_suite("auth", {"app/fetch.py": PY314})
    assert run.outcome("auth.tls-verification") == "fail"
    found = [(f["level"], f["line"]) for f in run.findings("auth.tls-verification")]
    # the finding, and a note that says how the file was read (the record shows it)
    assert sorted(found) == [("error", 5), ("note", 6)]
    (note,) = [f for f in run.findings("auth.tls-verification") if f["level"] == "note"]
    assert note["file"] == "app/fetch.py" and "analysed through LibCST" in note["message"]


def test_unparsed_production_code_warns_every_ast_check(run_suite) -> None:
    run = run_suite("auth", {
        "app/ok.py": "import requests\nrequests.get('https://x', timeout=3)\n",
        "app/broken.py": "def login(:\n    pass\n",
    })
    for check in ("auth.tls-verification", "auth.cors-credentials", "auth.default-admin"):
        assert run.outcome(check) == "warn", check
        assert "1 Python file(s) not analysed" in run.check(check)["message"]
        (finding,) = [f for f in run.findings(check) if f["level"] == "warning"]
        assert (finding["file"], finding["line"]) == ("app/broken.py", 1)


def test_unparsed_test_code_is_a_note(run_suite) -> None:
    run = run_suite("auth", {
        "app/ok.py": "import requests\nrequests.get('https://x', timeout=3)\n",
        "tests/test_broken.py": "def test(:\n    pass\n",
    })
    assert run.outcome("auth.tls-verification") == "pass"
    assert [f["file"] for f in run.findings("auth.tls-verification")
            if f["level"] == "note"] == ["tests/test_broken.py"]
