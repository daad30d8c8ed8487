"""Files on hosts (issue 16.4, 16.5): config files' required keys, read on the host."""

from __future__ import annotations

import pytest

from pytest_readiness.config import ConfigError, parse_config
from pytest_readiness.probes.hosts import files
from tests.hosts.conftest import LiveLab, check_of, run_live

KEYS = {"app.yaml": ["database.url", "log_level"], "app.json": ["database.url", "log_level"],
        "app.ini": ["database.url", "log_level"], "app.env": ["DATABASE_URL", "LOG_LEVEL"]}


def test_required_keys_of_yaml_json_ini_env_files_on_hosts(live: LiveLab,
                                                          pytester: pytest.Pytester) -> None:
    app = live.paths["app"]
    specs = [{"path": f"{app}/{name}", "required_keys": keys} for name, keys in KEYS.items()]
    specs.append({"path": f"{app}/settings", "format": "yaml", "required_keys": ["a"]})
    (live.planted("m1", "app") / "settings").write_text("a: 1\n")
    (live.planted("m2", "app") / "settings").write_text("a: [1\n")  # not YAML
    record = run_live(pytester, {"hosts": live.entries(), "files": specs}, "files",
                      extra=("-k", "required_keys"))
    for name, keys in KEYS.items():
        good = check_of(record, "files.required-keys", f"m1:{app}/{name}")
        assert good["outcome"] == "pass", good["message"]
        assert good["evidence"]["keys_checked"] == keys
        bad = check_of(record, "files.required-keys", f"m2:{app}/{name}")
        assert bad["outcome"] == "fail"
        assert bad["message"] == (f"{app}/{name} on m2: required key {keys[1]!r} is missing")
        assert "postgres" not in bad["message"] + str(bad["evidence"])  # names, never values
    assert check_of(record, "files.required-keys", f"m1:{app}/settings")["outcome"] == "pass"
    broken = check_of(record, "files.required-keys", f"m2:{app}/settings")
    assert broken["outcome"] == "fail"
    assert f"cannot parse {app}/settings: " in broken["message"]


def test_a_missing_or_unreadable_file(live: LiveLab, pytester: pytest.Pytester) -> None:
    app = live.paths["app"]
    specs = [{"path": f"{app}/absent.yaml", "required_keys": ["a"], "hosts": ["m1"]},
             {"path": f"{app}", "required_keys": ["a"], "hosts": ["m1"]}]
    record = run_live(pytester, {"hosts": live.entries(), "files": specs}, "files",
                      extra=("-k", "required_keys"))
    absent = check_of(record, "files.required-keys", f"m1:{app}/absent.yaml")
    assert absent["outcome"] == "fail"
    assert absent["message"] == f"{app}/absent.yaml does not exist on m1"
    directory = check_of(record, "files.required-keys", f"m1:{app}")
    assert directory["outcome"] == "error"  # cat says "Is a directory": nothing read
    assert "Is a directory" in directory["message"]


def test_config_keys_by_extension_or_format() -> None:
    found = files.config_keys("[db]\nurl = x\n", "/etc/app.conf", ["db.url", "url", "port"])
    assert (found.format, found.missing) == ("ini", ["port"])
    assert files.config_keys("A=\n", "/etc/app/env", ["A"]).empty == ["A"]
    assert files.config_keys("{}", "/x", ["a"], "json").missing == ["a"]


def test_host_file_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"files\[0\].path: expected an absolute path"):
        parse_config("files: [{path: etc/app.yaml}]")
    with pytest.raises(ConfigError, match=r"files\[0\]: required_keys needs a file that exists"):
        parse_config("files: [{path: /a.yaml, exists: false, required_keys: [a]}]")
    with pytest.raises(ConfigError, match=r"files\[0\].format: "):
        parse_config("files: [{path: /a, format: xml}]")


def test_mode_policy_on_glob_paths(live: LiveLab, pytester: pytest.Pytester) -> None:
    keys = live.paths["keys"]
    specs = [{"path": f"{keys}/*.key", "max_mode": "0640"},
             {"path": f"{keys}/?.key", "max_mode": "0600", "max_mode_level": "warning",
              "hosts": ["m1"]},
             {"path": f"{keys}/a*", "mode": "0600", "hosts": ["m1"]},
             {"path": f"{keys}/*.pem", "max_mode": "0600", "hosts": ["m1"]},
             {"path": f"{keys}/[xyz].pem", "mode": "0600", "hosts": ["m1"]}]
    record = run_live(pytester, {"hosts": live.entries(), "files": specs}, "files",
                      extra=("-k", "max_mode or configured_file"))
    assert check_of(record, "files.max-mode", f"m1:{keys}/*.key")["outcome"] == "pass"
    m2 = check_of(record, "files.max-mode", f"m2:{keys}/*.key")
    assert m2["outcome"] == "fail"
    assert m2["message"] == f"m2: more open than 0640: {keys}/b.key is 0644"
    assert m2["evidence"]["matched"] == [f"{keys}/a.key", f"{keys}/b.key"]
    warned = check_of(record, "files.max-mode", f"m1:{keys}/?.key")
    assert warned["outcome"] == "warn"
    assert warned["message"] == f"m1: more open than 0600: {keys}/b.key is 0640"
    assert check_of(record, "files.configured", f"m1:{keys}/a*")["outcome"] == "pass"
    assert check_of(record, "files.max-mode", f"m1:{keys}/*.pem")["outcome"] == "skip"
    none = check_of(record, "files.configured", f"m1:{keys}/[xyz].pem")
    assert none["outcome"] == "fail"
    assert none["message"] == f"no file matches {keys}/[xyz].pem on m1"


def test_glob_expansion_is_bounded(tmp_path, monkeypatch) -> None:
    from pytest_readiness.config import Host
    from pytest_readiness.probes.hosts.connect import connect

    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        for n in range(3):
            (tmp_path / d / f"{n}.key").write_text("k")
    (tmp_path / "a" / ".hidden.key").write_text("k")
    local = connect(Host(name="here", connection="local://"))
    found = files.expand_glob(local, f"{tmp_path}/*/*.key")
    assert len(found.paths) == 9 and not found.truncated  # dot files only for ".*"
    monkeypatch.setattr(files, "MAX_GLOB_MATCHES", 4)
    monkeypatch.setattr(files, "MAX_GLOB_LISTINGS", 2)
    bounded = files.expand_glob(local, f"{tmp_path}/*/*.key")
    assert bounded.truncated and len(bounded.paths) <= 4
    assert files.expand_glob(local, f"{tmp_path}/a/.*.key").paths == [
        f"{tmp_path}/a/.hidden.key"]
