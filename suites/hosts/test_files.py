"""File permissions: configured files on hosts, and secret files in the codebase."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import HostFile, Level, Recorder, Scope
from pytest_readiness.config import Host, ReadinessConfig
from pytest_readiness.plumbing.tree import Inventory
from pytest_readiness.probes.hosts import files
from pytest_readiness.recorder import Message

pytestmark = pytest.mark.readiness(section="File Permissions", category="security")


def _listed(what: str, problems: list[files.ModeProblem]) -> Message:
    """``what: a (0664), b (0666)``, for the files still reported."""
    modes = {p.file: p.mode for p in problems}
    return lambda found: what + ", ".join(f"{f.file} ({modes[str(f.file)]})" for f in found)


@pytest.mark.readiness(id="files.configured", severity="high",
                       fix="Set the mode and ownership given in readiness.yaml "
                           "(chmod/chown), and in the provisioning that creates the file")
def test_configured_file_mode_and_owner(host: Any, host_file: HostFile,
                                        readiness: Recorder) -> None:
    """Configured files (or every file a glob matches) exist with the expected mode, owner
    and group."""
    spec = host_file.spec
    if files.is_glob(spec.path):
        _configured_glob(host, host_file, readiness)
        return
    f = host.file(spec.path)
    exists = f.exists
    readiness.evidence(path=spec.path, exists=exists)
    if not spec.exists:
        assert not exists, f"{spec.path} exists on {host_file.host.name} but should not"
        return
    assert exists, f"{spec.path} does not exist on {host_file.host.name}"
    actual = {"mode": files.mode_string(f.mode), "owner": f.user, "group": f.group}
    readiness.evidence(**actual)
    wanted = {"mode": files.mode_string(spec.mode) if spec.mode is not None else None,
              "owner": spec.owner, "group": spec.group}
    wrong = [f"{key} is {actual[key]}, expected {value}"
             for key, value in wanted.items() if value is not None and actual[key] != value]
    assert not wrong, f"{spec.path}: " + "; ".join(wrong)


def _expand(host: Any, host_file: HostFile, readiness: Recorder) -> files.Expansion:
    """The files a glob path matches on the host (bounded), recorded in the evidence."""
    found = files.expand_glob(host, host_file.spec.path)
    readiness.evidence(pattern=host_file.spec.path, matched=found.paths[:50],
                       matched_count=len(found.paths), truncated=found.truncated,
                       unreadable=found.unreadable)
    return found


def _configured_glob(host: Any, host_file: HostFile, readiness: Recorder) -> None:
    spec, name = host_file.spec, host_file.host.name
    found = _expand(host, host_file, readiness)
    if not spec.exists:
        assert not found.paths, f"{spec.path} matches {', '.join(found.paths[:5])} on {name}"
        return
    assert found.paths or found.unreadable, f"no file matches {spec.path} on {name}"
    stats = files.stat_files(host, found.paths)
    wrong = []
    for f in stats.found:
        actual = {"mode": f.mode_text, "owner": f.owner, "group": f.group}
        wanted = {"mode": files.mode_string(spec.mode) if spec.mode is not None else None,
                  "owner": spec.owner, "group": spec.group}
        wrong += [f"{f.path}: {key} is {actual[key]}, expected {value}"
                  for key, value in wanted.items() if value is not None and actual[key] != value]
    readiness.evidence(modes={f.path: f.mode_text for f in stats.found})
    assert not wrong, "; ".join(wrong)
    _unread_warns(name, found.unreadable + stats.unreadable, readiness)


def _unread_warns(host_name: str, unreadable: list[str], readiness: Recorder) -> None:
    if unreadable:  # what could not be read is not a pass
        readiness.warn(f"{host_name}: could not read " + "; ".join(unreadable[:5]))


@pytest.mark.readiness(id="files.max-mode", severity="high",
                       fix="chmod the files to at most the mode given (max_mode), in the "
                           "provisioning that creates them")
def test_files_at_most_max_mode(host: Any, host_file: HostFile, readiness: Recorder) -> None:
    """Files (or every file a glob matches) have no permission beyond ``max_mode``; with
    ``max_mode_level: warning`` a file beyond it warns instead of failing."""
    spec, name = host_file.spec, host_file.host.name
    if spec.max_mode is None or not spec.exists:
        pytest.skip(f"not applicable: no max_mode for {spec.path}")
    glob = files.is_glob(spec.path)
    expansion = _expand(host, host_file, readiness) if glob else files.Expansion([spec.path])
    stats = files.stat_files(host, expansion.paths)
    unreadable = expansion.unreadable + stats.unreadable
    if not stats.found and not unreadable:
        pytest.skip(f"not applicable: no file matches {spec.path} on {name}") if glob else \
            pytest.fail(f"{spec.path} does not exist on {name}")
    limit = files.mode_string(spec.max_mode)
    beyond = [f"{f.path} is {f.mode_text}" for f in stats.found
              if files.beyond(f.mode, spec.max_mode)]
    readiness.evidence(max_mode=limit, level=spec.max_mode_level,
                       modes={f.path: f.mode_text for f in stats.found}, beyond=beyond)
    message = f"{name}: more open than {limit}: " + ", ".join(beyond)
    assert not beyond or spec.max_mode_level == Level.WARNING, message
    if beyond:
        readiness.warn(message)
    _unread_warns(name, unreadable, readiness)


@pytest.mark.readiness(id="files.secret-file-mode", severity="critical",
                       fix="chmod 600 the file (owner-only); keys and .env files must not be "
                           "readable by group or others")
def test_secret_files_private(inventory: Inventory, codebase_scope: Scope,
                              readiness: Recorder) -> None:
    """Secret-looking files (*.key, private *.pem, id_rsa*, .env*, *.p12) are owner-only.

    A file git tracks, or one of an unpacked archive, has no production mode (git keeps
    no group or other bits): its finding is a note.
    """
    checked = sum(files.looks_secret(f, inventory) for f in inventory.files)
    if not checked:
        pytest.skip("not applicable: no secret-looking files (*.key, private *.pem, id_rsa*, "
                    ".env*, *.p12) in the codebase")
    problems = files.loose_secret_files(inventory)
    readiness.evidence(secret_files_checked=checked, files_from=codebase_scope.provenance)
    readiness.conclude(files.mode_findings(problems, codebase_scope.repository_file),
                       _listed("secret files open to others: ", problems))


@pytest.mark.readiness(id="files.world-writable", severity="high",
                       fix="Remove write permission for others (chmod o-w)")
def test_no_world_writable_files(inventory: Inventory, codebase_scope: Scope,
                                 readiness: Recorder) -> None:
    """No file in the codebase is writable by everyone.

    A file git tracks, or one of an unpacked archive, has no production mode: a note.
    """
    problems = files.world_writable(inventory)
    readiness.evidence(files_checked=len(inventory.files), files_from=codebase_scope.provenance)
    readiness.conclude(files.mode_findings(problems, codebase_scope.repository_file),
                       _listed("world-writable files: ", problems))


@pytest.mark.readiness(id="files.host-sensitive-paths", severity="critical",
                       fix="chmod 600 (or 640 with a trusted group such as shadow/ssl-cert) "
                           "every private key and credential file listed")
def test_host_sensitive_files_private(host: Any, host_config: Host,
                                      readiness_config: ReadinessConfig,
                                      readiness: Recorder) -> None:
    """Private keys and credential files on the host are not open to group or others."""
    configured = [f.path for f in readiness_config.files
                  if f.secret and (not f.hosts or host_config.name in f.hosts)]
    listed = files.sensitive_paths(host, configured)
    stats = files.stat_files(host, listed.paths)
    problems = [p for p in map(files.exposure, stats.found) if p]
    unreadable = listed.unreadable + stats.unreadable
    readiness.evidence(host=host_config.name, checked={f.path: f.mode_text for f in stats.found},
                       exposed=problems, unreadable=unreadable)
    assert not problems, f"{host_config.name}: " + "; ".join(problems)
    if unreadable:  # what could not be read is not a pass
        readiness.warn(f"{host_config.name}: could not read " + "; ".join(unreadable[:5]))


@pytest.mark.readiness(id="files.docker-socket", severity="critical",
                       fix="chmod 660 the Docker socket, group docker, and keep that group small")
def test_docker_socket_not_world_accessible(host: Any, host_config: Host,
                                            readiness: Recorder) -> None:
    """The Docker socket is not accessible to every local user."""
    stats = files.stat_files(host, list(files.DOCKER_SOCKETS))
    if not stats.found and not stats.unreadable:
        pytest.skip(f"not applicable: no Docker socket on {host_config.name}")
    readiness.evidence(host=host_config.name, sockets={f.path: f.mode_text for f in stats.found},
                       unreadable=stats.unreadable)
    problems = [p for p in map(files.socket_exposure, stats.found) if p]
    assert not problems, f"{host_config.name}: " + "; ".join(problems)
    if stats.unreadable:
        readiness.warn(f"{host_config.name}: could not read " + "; ".join(stats.unreadable))


@pytest.mark.readiness(id="files.secret-owner", severity="high",
                       fix="chown the secret file to the service user (service_user in "
                           "readiness.yaml) or root")
def test_secret_file_owned_by_service_user(host: Any, host_file: HostFile,
                                           readiness: Recorder) -> None:
    """Secret files are owned by the service user or root."""
    spec, model = host_file.spec, host_file.host
    if not spec.secret:
        pytest.skip(f"not applicable: {spec.path} is not marked secret")
    stats = files.stat_files(host, [spec.path])
    if stats.unreadable:
        readiness.error(f"{spec.path} on {model.name}: " + "; ".join(stats.unreadable))
    found = stats.found
    assert found, f"{spec.path} does not exist on {model.name}"
    allowed = ["root", *([model.service_user] if model.service_user else [])]
    readiness.evidence(path=spec.path, owner=found[0].owner, allowed=allowed)
    assert found[0].owner in allowed, (
        f"{spec.path} on {model.name} is owned by {found[0].owner}, expected one of "
        + ", ".join(allowed))


@pytest.mark.readiness(id="files.required-keys", severity="high",
                       fix="Define every required key in the file on the host, through the "
                           "provisioning that writes it")
def test_host_config_file_defines_required_keys(host: Any, host_file: HostFile,
                                                readiness: Recorder) -> None:
    """Config files on hosts (YAML, JSON, TOML, INI, .env) parse and define their required
    keys, with a value (read-only, key names only in the report)."""
    spec, model = host_file.spec, host_file.host
    if not spec.required_keys:
        pytest.skip(f"not applicable: no required_keys for {spec.path}")
    paths = _expand(host, host_file, readiness).paths if files.is_glob(spec.path) \
        else [spec.path]
    assert paths, f"no file matches {spec.path} on {model.name}"
    problems, checked = [], {}
    for path in paths:
        text = files.read_host_file(host, path)
        if text is None:
            problems.append(f"{path} does not exist on {model.name}")
            continue
        found = files.config_keys(text, path, spec.required_keys, spec.format)
        checked[path] = {"format": found.format, "missing": found.missing, "empty": found.empty}
        problems += [f"{path} on {model.name}: {p}" for p in found.problems]
    readiness.evidence(keys_checked=spec.required_keys, files=checked)
    if len(paths) == 1 and paths[0] in checked:
        readiness.evidence(path=paths[0], **checked[paths[0]])
    assert not problems, "; ".join(problems)
