"""The audited repository's own pytest setup never breaks or changes an audit.

A matrix of small real repositories, each with one thing real projects carry for
their own tests (a conftest.py importing the project, strict addopts, --cov,
testpaths and python_files, a marker named readiness, filterwarnings=error, CI
plugins such as pytest-django, pytest-asyncio, pytest-cov, pytest-randomly and
pytest-timeout), then all of them together. Each is audited the way a user runs it,
``pytest --readiness`` from the command line in a fresh process; the real plugins
are installed for the test into a directory on PYTHONPATH, so pytest autoloads them
as it would in CI. Every audit must finish, write its record, find the planted
secret and run none of the project's own tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness import isolation
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

SECRET = 'API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"\n'
OWN_TEST = '''
import pathlib
def test_project_own():
    pathlib.Path(__file__).with_name("OWN_TEST_RAN").write_text("ran")
    assert False, "the project's own test ran inside the audit"
'''
IMPORTS_PROJECT = "import shopapp_not_installed  # the project; not installed for the audit\n"
CI_PLUGINS = ["pytest-django==4.*", "django==5.*", "asgiref", "sqlparse",
              "pytest-asyncio==1.*", "pytest-cov==7.*", "coverage",
              "pytest-randomly==5.*", "pytest-timeout==2.*"]
PLUGIN_NAMES = ("django", "asyncio", "cov", "randomly", "timeout")


@pytest.fixture(scope="session")
def ci_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugins a project's CI installs for its own tests, on PYTHONPATH."""
    target = tmp_path_factory.mktemp("ci-plugins")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-deps", "--target", str(target), *CI_PLUGINS],
        capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        message = f"cannot install the CI plugins: {done.stderr[-500:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return target


def _repo(pytester: pytest.Pytester, ini: str = "", files: dict[str, str] | None = None) -> Path:
    root = pytester.path
    (root / "app").mkdir()
    (root / "app" / "settings.py").write_text(SECRET)
    (root / "tests").mkdir()
    (root / "tests" / "test_own.py").write_text(OWN_TEST)
    (root / "tests" / "check_own.py").write_text(OWN_TEST)
    if ini:
        (root / "pyproject.toml").write_text(ini)
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _audit(pytester: pytest.Pytester, *args: str, plugins: Path | None = None,
           env: dict[str, str] | None = None,
           command: tuple[str, ...] = ("-m", "pytest")) -> tuple[subprocess.CompletedProcess, dict]:
    environ = {k: v for k, v in os.environ.items()
               if k not in (isolation.ISOLATED_ENV, "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    if plugins is not None:
        environ["PYTHONPATH"] = str(plugins)
    environ.update(env or {})
    argv = [sys.executable, *command, "--readiness", "--readiness-suite", "secrets",
            "--readiness-json", "record.json", *args]
    if command[-1] == "audit":
        argv.remove("--readiness")
    done = subprocess.run(argv, cwd=pytester.path, env=environ, capture_output=True,
                          text=True, timeout=180)
    record_path = pytester.path / "record.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    return done, record


def _assert_audited(pytester: pytest.Pytester, done: subprocess.CompletedProcess,
                    record: dict) -> None:
    output = done.stdout + done.stderr
    assert record, f"no record written (exit {done.returncode}):\n{output[-3000:]}"
    outcomes = {c["id"]: c["outcome"] for c in record["checks"]}
    assert outcomes.get("secrets.hardcoded") == "fail", output[-3000:]
    assert "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a" not in output
    assert not (pytester.path / "tests" / "OWN_TEST_RAN").exists(), "a project test ran"
    assert "test_project_own" not in output
    assert done.returncode == 1, output[-3000:]  # the failed critical check, nothing else


def _plugins_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("plugins:")), "")


CASES = {
    "root conftest imports the project": dict(files={"conftest.py": IMPORTS_PROJECT}),
    "tests/conftest.py imports the project": dict(files={"tests/conftest.py": IMPORTS_PROJECT}),
    "strict addopts": dict(ini='[tool.pytest.ini_options]\n'
                               'addopts = "--strict-markers --strict-config"\n'
                               'unknown_key_of_a_plugin = 1\n'),
    "addopts --cov without pytest-cov": dict(ini='[tool.pytest.ini_options]\n'
                                                 'addopts = "--cov=app --cov-report=xml"\n'),
    "testpaths, python_files, python_functions": dict(
        ini='[tool.pytest.ini_options]\ntestpaths = ["tests"]\npython_files = ["check_*.py"]\n'
            'python_functions = ["check_*"]\npython_classes = ["Check"]\n'),
    "a readiness marker of its own, filterwarnings=error": dict(
        ini='[tool.pytest.ini_options]\nmarkers = ["readiness: the project\'s own marker"]\n'
            'filterwarnings = ["error"]\n'),
    "PYTEST_ADDOPTS of the CI job": dict(env={"PYTEST_ADDOPTS": "--cov=app -p no:terminal"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_repository_setup_does_not_change_the_audit(pytester: pytest.Pytester, case: str) -> None:
    spec = CASES[case]
    _repo(pytester, spec.get("ini", ""), spec.get("files"))
    done, record = _audit(pytester, env=spec.get("env"))
    _assert_audited(pytester, done, record)


PLUGIN_CASES = {
    "pytest-django with DJANGO_SETTINGS_MODULE": (
        '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "shopapp.settings"\n'),
    "pytest-asyncio strict mode": '[tool.pytest.ini_options]\nasyncio_mode = "strict"\n',
    "pytest-cov": '[tool.pytest.ini_options]\naddopts = "--cov=app --cov-fail-under=100"\n',
    "pytest-randomly": '[tool.pytest.ini_options]\naddopts = "-p randomly"\n',
    "pytest-timeout": '[tool.pytest.ini_options]\ntimeout = 0.01\ntimeout_method = "signal"\n',
}


@pytest.mark.parametrize("case", sorted(PLUGIN_CASES))
def test_ci_plugins_do_not_reach_the_audit(pytester: pytest.Pytester, ci_plugins: Path,
                                           case: str) -> None:
    _repo(pytester, PLUGIN_CASES[case])
    # The plugin is really there and active for the project's own run.
    own = subprocess.run([sys.executable, "-m", "pytest", "--co", "-p", "no:cacheprovider"],
                         cwd=pytester.path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ci_plugins)})
    assert any(f"{name}-" in _plugins_line(own.stdout) for name in PLUGIN_NAMES) or \
        own.returncode != 0, own.stdout[-2000:]
    done, record = _audit(pytester, plugins=ci_plugins)
    _assert_audited(pytester, done, record)
    line = _plugins_line(done.stdout)
    assert not [name for name in PLUGIN_NAMES if f" {name}-" in f" {line}"], line


def test_everything_at_once(pytester: pytest.Pytester, ci_plugins: Path) -> None:
    """A broken conftest, strict addopts, CI plugins and a failing test of its own."""
    _repo(pytester, '[tool.pytest.ini_options]\n'
                    'addopts = "--strict-markers --strict-config --cov=app -p randomly"\n'
                    'testpaths = ["tests"]\npython_files = ["check_*.py", "test_*.py"]\n'
                    'markers = ["readiness: ours"]\nfilterwarnings = ["error"]\n'
                    'DJANGO_SETTINGS_MODULE = "shopapp.settings"\nasyncio_mode = "strict"\n'
                    'timeout = 0.01\n',
          files={"conftest.py": IMPORTS_PROJECT, "tests/conftest.py": IMPORTS_PROJECT})
    done, record = _audit(pytester, "-n", "2", plugins=ci_plugins,
                          env={"PYTEST_ADDOPTS": "-x --cov=app"})
    _assert_audited(pytester, done, record)


def test_checks_the_user_wrote_run_with_their_own_conftest(pytester: pytest.Pytester) -> None:
    """conftest.py inside `checks:` is loaded (and works under xdist); the one above is not."""
    _repo(pytester, files={
        "conftest.py": IMPORTS_PROJECT,
        "readiness.yaml": "system: shop\nchecks: [audit_checks]\n",
        "audit_checks/conftest.py": "import pytest\n\n@pytest.fixture\n"
                                    "def shop_region():\n    return 'eu-west'\n",
        "audit_checks/test_mine.py":
            "import pytest\n\n"
            "@pytest.mark.readiness(id='shop.region', category='operations', severity='low')\n"
            "def test_region(shop_region):\n    '''Region pinned.'''\n"
            "    assert shop_region == 'eu-west'\n",
    })
    for extra in ((), ("-n", "2")):
        done, record = _audit(pytester, "--readiness-suite", "mine", *extra)
        _assert_audited(pytester, done, record)
        assert {c["id"]: c["outcome"] for c in record["checks"]}["shop.region"] == "pass"


def test_readiness_settings_of_the_repository_are_kept(pytester: pytest.Pytester) -> None:
    """readiness_* ini keys and --readiness* addopts were written for the audit."""
    _repo(pytester, '[tool.pytest.ini_options]\nreadiness_report = "from-ini.md"\n'
                    'addopts = "--strict-markers --readiness-sarif from-addopts.sarif"\n')
    done, record = _audit(pytester)
    _assert_audited(pytester, done, record)
    assert (pytester.path / "from-ini.md").is_file()
    assert (pytester.path / "from-addopts.sarif").is_file()


def test_an_ini_pytest_refuses_needs_the_audit_command(pytester: pytest.Pytester) -> None:
    """minversion / required_plugins stop pytest before any plugin runs: the audit
    command never reads the repository's ini file."""
    _repo(pytester, '[tool.pytest.ini_options]\nminversion = "99"\n'
                    'required_plugins = ["pytest-not-installed"]\n')
    done, _ = _audit(pytester)
    assert done.returncode == 4 and "minversion" in done.stdout + done.stderr
    done, record = _audit(pytester, command=("-m", "pytest_readiness.cli", "audit"))
    _assert_audited(pytester, done, record)


def test_in_process_runs_cut_conftests_off_too(pytester: pytest.Pytester) -> None:
    """pytest.main() from Python stays in process; the project's conftests still stay out."""
    _repo(pytester, files={"conftest.py": IMPORTS_PROJECT, "tests/conftest.py": IMPORTS_PROJECT})
    result = pytester.runpytest("--readiness", "--readiness-suite", "secrets",
                                "--readiness-json", "record.json")
    record = json.loads((pytester.path / "record.json").read_text())
    assert {c["id"]: c["outcome"] for c in record["checks"]}["secrets.hardcoded"] == "fail"
    assert result.ret == 1


def test_plugin_arguments() -> None:
    assert isolation.blocked_plugins(["-p", "no:xdist", "-pno:html", "-p", "foo"]) == \
        {"xdist", "html"}
    assert isolation.blocked_plugins(isolation.block_args(["xdist", "html"])) == {"xdist", "html"}
    assert "xdist.plugin" not in isolation.audit_plugins(["-p", "no:xdist"])
    assert isolation.audit_plugins([])[0] == "pytest_readiness.plugin"
    assert isolation.carried_addopts(
        ["--cov", "x", "--readiness-json", "a.json", "--readiness-list", "-x",
         "--readiness-fail-under=80"], {"--readiness-json", "--readiness-fail-under"}) == \
        ["--readiness-json", "a.json", "--readiness-list", "--readiness-fail-under=80"]
    assert isolation.ini_overrides({"readiness_suite": ["tls", "dns"], "readiness": True,
                                    "readiness_json": ""}) == \
        ["-o", "readiness=true", "-o", "readiness_suite=tls dns"]


# -- a process that already is the audit's own is not re-executed ---------------------

PROBE = '''
import os, sys, pytest

@pytest.mark.readiness(id="probe.process", category="operations", severity="low")
def test_process():
    """Where the audit ran."""
    with open(os.environ["PROBE_OUT"], "w") as out:  # outside the audited tree
        out.write("\\n".join([repr(sys.argv), os.environ.get("PYTEST_PLUGINS", ""),
                               os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "")]))
'''


def _probe_repo(pytester: pytest.Pytester, ini: str = "") -> None:
    _repo(pytester, ini, files={"readiness.yaml": "system: shop\nchecks: [probe]\n",
                                "probe/test_probe.py": PROBE})


def _process(pytester: pytest.Pytester) -> list[str]:
    """argv, PYTEST_PLUGINS, PYTEST_DISABLE_PLUGIN_AUTOLOAD of the audit's process."""
    return (pytester.path.parent / f"{pytester.path.name}.process").read_text().splitlines()


def _probe_env(pytester: pytest.Pytester, **extra: str) -> dict[str, str]:
    return {"PROBE_OUT": str(pytester.path.parent / f"{pytester.path.name}.process"), **extra}


def _without_foreign_plugins() -> list[str]:
    return isolation.block_args(isolation.foreign_plugins())


def _comparable(record: dict) -> list[tuple]:
    return sorted((c["id"], c.get("target") or "", c["outcome"], c.get("message", ""),
                   json.dumps(c.get("evidence"), sort_keys=True)) for c in record["checks"])


def test_a_clean_environment_runs_the_audit_in_place(pytester: pytest.Pytester) -> None:
    """No ini setting, no PYTEST_ADDOPTS, only the audit's plugins, the tree off sys.path
    (-P): the process is already what re-executing would make, so the audit runs in it,
    with the child's environment; the same audit re-executed gives the same record."""
    _probe_repo(pytester)
    suites = ("--readiness-suite", "secrets", "--readiness-suite", "probe")
    done, in_place = _audit(pytester, *suites, *_without_foreign_plugins(),
                            env=_probe_env(pytester), command=("-P", "-m", "pytest"))
    _assert_audited(pytester, done, in_place)
    argv, plugins, autoload = _process(pytester)
    assert str(isolation.AUDIT_INI) not in argv, argv  # not re-executed
    assert plugins.split(",") == isolation.audit_plugins([]) and autoload == "1"
    (pytester.path / "record.json").unlink()  # the second audit reads the same tree

    # -m without -P puts the audited tree on sys.path: re-executed, same audit.
    done, child = _audit(pytester, *suites, *_without_foreign_plugins(), env=_probe_env(pytester))
    _assert_audited(pytester, done, child)
    argv = _process(pytester)[0]
    assert str(isolation.AUDIT_INI) in argv and "'-P'" not in argv
    assert _comparable(child) == _comparable(in_place)
    # The parent had the tree on sys.path: the record says so; the clean run has no note.
    assert [n for n in child["notes"] if "on sys.path" in n]
    assert not [n for n in in_place["notes"] if "on sys.path" in n]


def test_a_pythonpath_ini_is_said_in_the_record(pytester: pytest.Pytester) -> None:
    """pytest puts an ini ``pythonpath`` on sys.path before any plugin runs; the audit
    cannot undo what was imported then, so its record says it, naming the safe command."""
    _repo(pytester, '[tool.pytest.ini_options]\npythonpath = ["."]\n')
    done, record = _audit(pytester, *_without_foreign_plugins(), command=("-P", "-m", "pytest"))
    _assert_audited(pytester, done, record)
    notes = [n for n in record["notes"] if "on sys.path" in n]
    assert notes and "pytest-readiness audit" in notes[0], record["notes"]
    assert "on sys.path" in done.stdout  # the terminal shows the record's notes
    (pytester.path / "record.json").unlink()
    done, record = _audit(pytester, *_without_foreign_plugins(),
                          command=("-P", "-m", "pytest_readiness.cli", "audit"))
    _assert_audited(pytester, done, record)
    assert not [n for n in record["notes"] if "on sys.path" in n]


@pytest.mark.parametrize("case", ["ini", "addopts", "plugin", "sys.path"])
def test_anything_of_the_project_still_re_executes(pytester: pytest.Pytester, case: str) -> None:
    _probe_repo(pytester, '[tool.pytest.ini_options]\nmarkers = ["own: x"]\n' if case == "ini"
                else "")
    blocked = [] if case == "plugin" else _without_foreign_plugins()
    if case == "plugin" and not isolation.foreign_plugins():
        pytest.skip("no foreign plugin installed here")  # the test venv has hypothesis
    env = _probe_env(pytester, **({"PYTEST_ADDOPTS": "-p no:cacheprovider"}
                                  if case == "addopts" else {}))
    command = ("-m", "pytest") if case == "sys.path" else ("-P", "-m", "pytest")
    done, record = _audit(pytester, "--readiness-suite", "probe", *blocked, env=env,
                          command=command)
    assert record, done.stdout + done.stderr
    argv = _process(pytester)[0]
    assert str(isolation.AUDIT_INI) in argv, (case, argv)


HOSTILE_MODULE = ('import pathlib\n'
                  'pathlib.Path(__file__).with_name("HOSTILE_RAN").write_text("x")\n'
                  'raise ImportError("the audited tree shadowed a module of the audit")\n')


LAZY = ("yaml", "pydantic", "dotenv")  # imported by the audit's process, after its start
EARLY = ("execnet", "pytest", "pluggy", "xdist")  # and by xdist's workers when they start


@pytest.mark.parametrize("command, modules, extra", [
    # python -m puts the tree on sys.path before pytest starts: what it imports then is
    # the user's choice (docs/configuration.md); the audit's process never has the tree.
    (("-m", "pytest"), LAZY, ()),
    (("-P", "-m", "pytest"), LAZY + EARLY, ("-n", "2")),  # as the pytest command starts
    (("-P", "-m", "pytest_readiness.cli", "audit"), LAZY + EARLY, ("-n", "2")),
])
def test_modules_of_the_audited_tree_never_shadow_the_audits(
        pytester: pytest.Pytester, command: tuple[str, ...], modules: tuple[str, ...],
        extra: tuple[str, ...]) -> None:
    """yaml.py, execnet.py ... at the audited root: neither the audit's process nor its
    xdist workers import them (no Python of the audit has the tree on sys.path)."""
    _repo(pytester, files={f"{name}.py": HOSTILE_MODULE for name in modules})
    done, record = _audit(pytester, *extra, command=command)
    assert not (pytester.path / "HOSTILE_RAN").exists(), done.stdout[-2000:] + done.stderr[-2000:]
    _assert_audited(pytester, done, record)


@pytest.mark.parametrize("flag", [["--hosts", "local://"], ["--nagios"], ["--sudo"]])
def test_testinfra_options_are_refused_not_ignored(pytester: pytest.Pytester,
                                                   flag: list[str]) -> None:
    _repo(pytester)
    done, record = _audit(pytester, *flag)
    assert done.returncode == 4 and not record
    assert f"{flag[0]}: pytest-testinfra's" in done.stderr, done.stderr[-2000:]


def test_why_a_process_is_not_clean(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig()
    assert isolation.not_clean(config, [], {"PYTEST_ADDOPTS": "-x"}) == "PYTEST_ADDOPTS is set"
    assert isolation.not_clean(config, [], {"PYTEST_PLUGINS": "x"}) == "PYTEST_PLUGINS is set"
