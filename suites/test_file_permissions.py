"""File permissions: configured files on hosts, and secret files in the codebase."""

from __future__ import annotations

import pytest

from pytest_readiness.probes import permissions

pytestmark = pytest.mark.readiness(section="File Permissions", category="security")


@pytest.mark.readiness(id="files.configured", severity="high",
                       fix="Set the mode and ownership given in readiness.yaml "
                           "(chmod/chown), and in the provisioning that creates the file")
def test_configured_file_mode_and_owner(host, host_file, readiness):
    """Configured files exist with the expected mode, owner and group."""
    spec = host_file.spec
    f = host.file(spec.path)
    exists = f.exists
    readiness.evidence(path=spec.path, exists=exists)
    if not spec.exists:
        assert not exists, f"{spec.path} exists on {host_file.host.name} but should not"
        return
    assert exists, f"{spec.path} does not exist on {host_file.host.name}"
    actual = {"mode": permissions.mode_string(f.mode), "owner": f.user, "group": f.group}
    readiness.evidence(**actual)
    wanted = {"mode": permissions.mode_string(spec.mode) if spec.mode is not None else None,
              "owner": spec.owner, "group": spec.group}
    wrong = [f"{key} is {actual[key]}, expected {value}"
             for key, value in wanted.items() if value is not None and actual[key] != value]
    assert not wrong, f"{spec.path}: " + "; ".join(wrong)


@pytest.mark.readiness(id="files.secret-file-mode", severity="critical",
                       fix="chmod 600 the file (owner-only); keys and .env files must not be "
                           "readable by group or others")
def test_secret_files_private(codebase, inventory, readiness):
    """Secret-looking files (*.key, private *.pem, id_rsa*, .env*, *.p12) are owner-only."""
    problems = permissions.loose_secret_files(inventory)
    readiness.evidence(secret_files_checked=sum(permissions.looks_secret(f)
                                                for f in inventory.files))
    for p in problems:
        readiness.finding("files.secret-file-mode", f"mode {p.mode}: {p.reason}", file=p.file)
    assert not problems, "secret files open to others: " + ", ".join(
        f"{p.file} ({p.mode})" for p in problems)


@pytest.mark.readiness(id="files.world-writable", severity="high",
                       fix="Remove write permission for others (chmod o-w)")
def test_no_world_writable_files(codebase, inventory, readiness):
    """No file in the codebase is writable by everyone."""
    problems = permissions.world_writable(inventory)
    readiness.evidence(files_checked=len(inventory.files))
    for p in problems:
        readiness.finding("files.world-writable", f"mode {p.mode}: {p.reason}", file=p.file)
    assert not problems, "world-writable files: " + ", ".join(
        f"{p.file} ({p.mode})" for p in problems)
