"""Saying clearly what was asked and what was assessed.

An unknown suite, category or check is a usage error naming the choices (also
under xdist); suites answer to their check-id prefix; a run that assessed
nothing gives no verdict; the record keeps the real command line; the machine
running the audit is a host only when named.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.core.test_plugin import CHECKS

RUN = ("-p", "no:cacheprovider")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", readiness="system: Test system\nchecks: [checks]\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_mine.py").write_text(CHECKS)
    return pytester


def record_of(pytester: pytest.Pytester, name: str = "out.json") -> dict:
    return json.loads((pytester.path / name).read_text())


# -- unknown selections are usage errors ---------------------------------------

@pytest.mark.parametrize(("option", "value", "says"), [
    ("--readiness-suite", "tsl", ["*--readiness-suite 'tsl' is not a suite; did you mean tls? "
                                  "suites (or a section title): async, async_blocking, *"]),
    ("--readiness-category", "securty", ["*--readiness-category 'securty' is not a category; "
                                         "did you mean security?*operations*"]),
    ("--readiness-check", "tls.cert-expirey", ["*--readiness-check 'tls.cert-expirey': no check "
                                               "id matches*did you mean tls.cert-expiry?*"]),
])
def test_unknown_selection_is_a_usage_error(pytester: pytest.Pytester, option: str, value: str,
                                            says: list[str]) -> None:
    result = pytester.runpytest("--readiness", option, value, "--readiness-json", "o.json", *RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(says)
    assert not (pytester.path / "o.json").exists()


@pytest.mark.slow
def test_unknown_selection_under_xdist_is_a_usage_error_too(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--readiness", "-n", "2", "--readiness-suite", "tsl",
                                           "--readiness-json", "o.json", *RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --readiness-suite 'tsl' is not a suite; did you mean tls?*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "o.json").exists()


@pytest.mark.slow
def test_an_invalid_marker_under_xdist_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad='import pytest\n'
                                 '@pytest.mark.readiness(id="bad.one", category="vibes")\n'
                                 'def test_one(): pass\n')
    result = pytester.runpytest_subprocess("--readiness", "test_bad.py", "-n", "2", *RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # was an INTERNALERROR (exit 3)
    result.stderr.fnmatch_lines(["ERROR: invalid readiness marker: *category 'vibes'*"])


def test_a_suite_of_the_users_own_checks_is_known(project: pytest.Pytester) -> None:
    result = project.runpytest("--readiness", "--readiness-suite", "mine,Mine",
                               "--readiness-category", "SECURITY", "--readiness-json", "o.json",
                               *RUN)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert {c["id"] for c in record_of(project, "o.json")["checks"]} == {"mine.failed"}


def test_a_target_that_matches_nothing_is_said_not_silent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app="x = 1\n")
    result = pytester.runpytest("--readiness", "--readiness-check", "secrets.hardcoded[nowhere]",
                                "--readiness-json", "o.json", *RUN)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines([
        "VERDICT: NOT ASSESSED*",
        "note: --readiness-check 'secrets.hardcoded[[]nowhere]': no target matched 'nowhere' "
        "(targets of secrets.hardcoded: .)"])
    record = record_of(pytester, "o.json")
    assert record["checks"] == [] and record["scorecard"]["verdict"] == "NOT ASSESSED"
    assert any("no target matched 'nowhere'" in n for n in record["notes"])


# -- suites answer to their check-id prefix ------------------------------------

@pytest.mark.parametrize(("name", "module"), [("db", "test_db.py"),
                                              ("ops", "test_ops.py"),
                                              ("async", "test_async.py"),
                                              ("async_blocking", "test_async.py")])
def test_suite_by_id_prefix_imports_only_its_module(pytester: pytest.Pytester, name: str,
                                                    module: str) -> None:
    result = pytester.runpytest("--readiness", "--readiness-suite", name, "--collect-only", "-q",
                                *RUN)
    collected = {line.split("::")[0].rsplit("/", 1)[-1] for line in result.outlines
                 if "::" in line}
    assert collected == {module}, result.outlines[-5:]
    assert "deselected" not in result.outlines[-1]


def test_a_prefix_selects_exactly_its_checks(pytester: pytest.Pytester) -> None:
    """``hosts`` and ``units`` were in the fleet and services suites; now suites of their own."""
    pytester.runpytest("--readiness", "--readiness-list", "--readiness-json", "all.json", *RUN)
    everything = record_of(pytester, "all.json")
    for prefix in ("hosts", "units", "db", "tls"):
        pytester.runpytest("--readiness", "--readiness-list", "--readiness-suite", prefix,
                           "--readiness-json", f"{prefix}.json", *RUN)
        listed = {e["id"] for e in record_of(pytester, f"{prefix}.json")}
        assert listed == {e["id"] for e in everything if e["id"].startswith(prefix + ".")}


def test_list_shows_the_suite_of_each_check(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--readiness", "--readiness-list", "--readiness-json", "c.json",
                                *RUN)
    result.stdout.fnmatch_lines(["id * suite * section * category * severity * title",
                                 "db.sqlite-integrity * db * Databases * *",
                                 "ops.runbooks * ops * Operations Readiness *"])
    entries = {e["id"]: e for e in record_of(pytester, "c.json")}
    assert entries["async.blocking-calls"]["suite"] == "async"
    # every bundled check's id prefix is its suite's name (and its probe module's)
    assert [e["id"] for e in entries.values() if e["id"].split(".")[0] != e["suite"]] == []


@pytest.mark.slow
def test_old_suite_names_select_what_the_new_names_do(pytester: pytest.Pytester) -> None:
    from pytest_readiness.selection import OLD_SUITE_NAMES

    for old, new in OLD_SUITE_NAMES.items():
        listed = {}
        for name in (old, new):
            pytester.runpytest("--readiness", "--readiness-list", "--readiness-suite", name,
                               "--readiness-json", f"{name}.json", *RUN)
            listed[name] = {e["id"] for e in record_of(pytester, f"{name}.json")}
        assert listed[old] == listed[new] != set(), old


# -- nothing assessed is no verdict --------------------------------------------

def test_an_empty_directory_is_not_assessed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--readiness", "--readiness-json", "../o.json",
                                "--readiness-report", "../o.md", "--readiness-html", "../o.html",
                                *RUN)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    record = json.loads((pytester.path.parent / "o.json").read_text())
    card = record["scorecard"]
    assert card["verdict"] == "NOT ASSESSED" and card["overall"] is None
    assert {c["outcome"] for c in record["checks"]} == {"skip"}
    assert len(card["absent"]) == len(card["categories"])
    assert record["hosts"] == [] and record["partial"] is False
    reasons = {c["message"] for c in record["checks"]}
    assert "not applicable: codebase . holds no files to audit" in reasons
    result.stdout.fnmatch_lines(["VERDICT: NOT ASSESSED*", "Nothing was assessed*"])
    for name in ("o.md", "o.html"):
        text = (pytester.path.parent / name).read_text()
        assert "Nothing was assessed" in text and "NOT ASSESSED" in text
        assert "CONDITIONAL" not in text and "NOT READY" not in text
        assert "PRODUCTION READY" not in text


def test_a_shard_record_is_partial(project: pytest.Pytester) -> None:
    project.runpytest("--readiness", "--readiness-suite", "mine", "--readiness-shard", "1/2",
                      "--readiness-json", "s.json", "--readiness-report", "s.md",
                      "--readiness-html", "s.html", "--readiness-sarif", "s.sarif", *RUN)
    record = record_of(project, "s.json")
    assert record["partial"] is True and record["shard"] == "1/2"
    for name in ("s.md", "s.html"):
        assert "PARTIAL: shard 1/2" in (project.path / name).read_text()
    sarif = json.loads((project.path / "s.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["properties"]["partial"] is True
    whole = project.runpytest("--readiness", "--readiness-suite", "mine", "--readiness-shard",
                              "1/1", "--readiness-json", "w.json", *RUN)
    assert record_of(project, "w.json")["partial"] is False
    assert "PARTIAL" not in whole.stdout.str()


# -- the command that ran --------------------------------------------------------

def test_the_record_keeps_the_real_command_redacted(project: pytest.Pytester) -> None:
    token = "token=" + "Zq8" * 8
    json_path = project.path / "my out.json"
    project.runpytest("--readiness", "--readiness-suite", "mine", f"--readiness-json={json_path}",
                      "--junitxml", f"{token}.xml", *RUN)
    command = json.loads(json_path.read_text())["command"]
    words = shlex.split(command)
    assert words[:4] == ["pytest", "--readiness", "--readiness-suite", "mine"]
    assert "--readiness-json=my out.json" in words  # the root-relative path, quoted
    assert str(project.path) not in command and "Zq8Zq8Zq8" not in command
    assert "-p" in words and "no:cacheprovider" in words


# -- the machine running the audit is a host only when named -----------------------

HOST_CHECK = "clock.ntp-synchronised"


def _host_run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[dict]]:
    result = pytester.runpytest("--readiness", "--readiness-check", HOST_CHECK,
                                "--readiness-json", "h.json", *RUN, *args)
    return result, record_of(pytester, "h.json")["checks"]


@pytest.mark.parametrize("ci", ["true", ""])
def test_no_hosts_named_means_host_checks_not_applicable(pytester: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         ci: str) -> None:
    monkeypatch.setenv("CI", ci)  # the rule is the same in CI and on a laptop
    (check,) = _host_run(pytester)[1]
    assert check["outcome"] == "skip" and check["target"] is None
    assert "the machine running the audit is audited only when named" in check["message"]
    assert "--readiness-local-host" in check["message"]


@pytest.mark.parametrize("how", ["option", "ini", "config"])
def test_the_local_host_is_audited_when_named(pytester: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setenv("CI", "true")
    args: tuple[str, ...] = ()
    if how == "option":
        args = ("--readiness-local-host",)
    elif how == "ini":
        pytester.makeini("[pytest]\nreadiness_local_host = true\n")
    else:
        pytester.makefile(".yaml", readiness='hosts: [{name: local, connection: "local://"}]\n')
    _, checks = _host_run(pytester, *args)
    assert [(c["target"], c["outcome"] != "skip") for c in checks] == [("local", True)]


def test_the_option_adds_nothing_when_a_local_host_is_named(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness='hosts: [{name: here, connection: "local://"}]\n')
    _, checks = _host_run(pytester, "--readiness-local-host")
    assert [c["target"] for c in checks] == ["here"]
    pytester.makefile(".yaml", readiness='hosts: [{name: local, connection: "ssh://x@h"}]\n')
    result = pytester.runpytest("--readiness", "--readiness-local-host", *RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*already has a host named 'local' (ssh://x@h)*"])


def test_codebase_checks_do_not_need_a_host(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(app="import requests\nrequests.get('https://x', verify=False)\n")
    result = pytester.runpytest("--readiness", "--readiness-check", "auth.tls-verification",
                                "--readiness-json", "c.json", *RUN)
    (check,) = record_of(pytester, "c.json")["checks"]
    assert check["outcome"] == "fail" and check["target"] == "."
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_suite_and_category_from_their_ini_twins(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nreadiness_suite = mine\nreadiness_category = security\n")
    project.runpytest("--readiness", "--readiness-json", "o.json", *RUN)
    assert {c["id"] for c in record_of(project, "o.json")["checks"]} == {"mine.failed"}
    result = project.runpytest("--readiness", "--readiness-category", "nope", *RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # the command line wins over the ini
