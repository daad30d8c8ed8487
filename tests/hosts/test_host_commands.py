"""The values placed in host commands and on SSH command lines (issue 19, items 1-4).

Pure functions: the guard of probes/hosts/commands.py and the argv builder of
probes/hosts/ssh.py. The end-to-end breaks they close are in
tests/safety/test_hostile_commands.py.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.config import Host
from pytest_readiness.probes.hosts import commands, ssh
from pytest_readiness.probes.hosts.commands import CommandRefused, guard_command, placeholders

# --- placeholders --------------------------------------------------------------------


@pytest.mark.parametrize(("template", "expected"), [
    ("rpm -q -- %s", [(True, True, False)]),
    ("rpm -q %s", [(True, False, False)]),
    ("stat -L -c '%%a|%%U' -- %s %s", [(True, True, False)] * 2),
    ("ls x%s", [(False, False, False)]),
    ("stat -c '%s' x", [(False, False, True)]),
    ("cat \"%s\"", [(False, False, True)]),
    ("date +%%s", []),
])
def test_placeholders_say_where_each_value_lands(template: str,
                                                expected: list[tuple[bool, bool, bool]]) -> None:
    assert [(p.standalone, p.after_dashdash, p.quoted)
            for p in placeholders(template)] == expected


# --- the guard -----------------------------------------------------------------------


@pytest.mark.parametrize(("command", "args"), [
    ("cat -- %s", ("--eval=%(touch /tmp/x)",)),  # after --: a file name, not an option
    ("dpkg-query -W -f '${Version}' -- %s", ("openssl",)),
    ("systemctl show -p After -- %s", ("app.service",)),
    ("systemctl is-active %s", ("nginx",)),  # testinfra's Service: the type is implied
    ("stat -L -c '%%a|%%U|%%G|%%n' -- %s %s", ("/etc/shadow", "-weird name")),
    ("test -e %s", ("/etc/app.conf",)),
    ("sqlite3 -readonly %s %s", ("/var/lib/app.db", "PRAGMA integrity_check;")),
    ("getent ahostsv4 -- %s", ("api.example.com",)),
])
def test_values_that_cannot_change_the_command_pass(command: str, args: tuple[str, ...]) -> None:
    guard_command(command, *args)


@pytest.mark.parametrize(("command", "args", "said"), [
    ("rpm -q --qf '%%{VERSION}' %s", ("--eval=%(touch /tmp/x)",), "option"),
    ("rpm -q -- %s", ("a b",), "not a package name"),
    ("rpm -q -- %s", ("--eval=%(touch /tmp/x)",), "not a package name"),
    ("systemctl show -- %s", ("../../../../etc/shadow",), "not a systemd unit name"),
    ("sqlite3 -readonly %s %s", ("-cmd", "PRAGMA integrity_check;"), "option"),
    ("sqlite3 -readonly %s %s", (":memory:", "PRAGMA integrity_check;"), "absolute path"),
    ("sqlite3 -readonly %s %s", ("/x.db", ".shell touch /tmp/x"), "absolute path"),
    ("test -e %s", ("-x",), "option"),
    ("command -v %s", ("-p",), "option"),
    ("stat -c '%s' x", ("/etc",), "inside quotes"),
    ("stat -- %s", ("/etc", "/var"), "placeholder"),
])
def test_values_that_would_change_the_command_are_refused(command: str, args: tuple[str, ...],
                                                          said: str) -> None:
    with pytest.raises(CommandRefused, match=said):
        guard_command(command, *args)


@given(st.text(min_size=1, max_size=40))
def test_no_value_reaches_a_guarded_command_as_an_option(value: str) -> None:
    """Whatever a value holds, after the guard it is one word that is not an option."""
    for template in ("test -e %s", "cat -- %s", "rpm -q %s", "systemctl show %s"):
        try:
            guard_command(template, value)
        except CommandRefused:
            continue
        words = shlex.split(template % shlex.quote(value))
        assert words[-1] == value
        assert not value.startswith("-") or "--" in words[:-1]


@pytest.mark.parametrize(("unit", "typed_ok"), [
    ("app.service", True), ("getty@tty1.service", True), ("dev-disk-by\\x2duuid-1.device", True),
    ("backup.timer", True), ("nginx", False), ("../../etc/shadow", False), ("a/b.service", False),
    ("-x.service", False), (".service", False), ("app.service\n", False), ("x" * 300, False),
])
def test_unit_names_follow_systemd_unit_5(unit: str, typed_ok: bool) -> None:
    assert (commands.unit_name_problem(unit) is None) is typed_ok


def test_a_failed_command_is_not_believed() -> None:
    class Result:
        rc, stdout, stderr = 1, "", "sh: 1: sudo: Permission denied\n"

    with pytest.raises(commands.HostCommandFailed, match="sudo: Permission denied"):
        commands.output_of(Result(), "stat")
    assert commands.complaints("stat: cannot statx '/x': No such file or directory\n"
                               "ls: cannot open directory '/p': Permission denied\n") == [
        "ls: cannot open directory '/p': Permission denied"]


# --- SSH command lines ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "-o Compression=no; touch /tmp/x #",  # a word that is not an option
    "-o ProxyCommand=sh -c 'touch /tmp/x'",
    "-oLocalCommand=touch /tmp/x",
    "-o 'PermitLocalCommand yes'",
    "-o KnownHostsCommand=/bin/true",
    "-o RemoteCommand=reboot",
    "-o ProxyJump=-oProxyCommand=touch",
    "-o 'HostName -oProxyCommand=x'",
    "-o ControlPath=/tmp/shared",
    "-L 8080:localhost:80",
    "-E /tmp/log",
    "-- host",
    "-o",
    "-o 'unbalanced",
])
def test_ssh_extra_args_that_could_run_something_are_refused(text: str) -> None:
    with pytest.raises(ssh.SshSettingError, match="ssh_extra_args"):
        ssh.extra_args(text)


def test_ssh_extra_args_are_options_as_argv() -> None:
    assert ssh.extra_args("-4C -o 'Ciphers aes256-gcm@openssh.com' -p2222 -J jump@bastion") == (
        "-4C", "-o", "Ciphers aes256-gcm@openssh.com", "-p", "2222", "-J", "jump@bastion")


def test_ssh_config_files_that_run_something_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n  User audit\n  # ProxyCommand in a comment is fine\n")
    assert ssh.config_file_problem(str(config)) is None
    config.write_text("Host *\n  ProxyCommand nc %h %p\n")
    assert "ssh_config" in (ssh.config_file_problem(str(config)) or "")
    config.write_text("Match exec \"touch /tmp/x\"\n  User x\n")
    assert "Match exec" in (ssh.config_file_problem(str(config)) or "")
    assert "cannot read" in (ssh.config_file_problem(str(tmp_path / "missing")) or "")
    # Read like a file of the tree: never a FIFO (it would hang) nor past its cap.
    os.mkfifo(tmp_path / "fifo")
    assert "FIFO" in (ssh.config_file_problem(str(tmp_path / "fifo")) or "")
    assert "not a regular file" in (ssh.config_file_problem("/dev/zero") or "")
    config.write_bytes(b"#" * (ssh._CONFIG_MAX + 1))
    assert "cap" in (ssh.config_file_problem(str(config)) or "")
    link = tmp_path / "linked"
    link.symlink_to(tmp_path / "ok")
    (tmp_path / "ok").write_text("Host *\n  User audit\n")
    assert ssh.config_file_problem(str(link)) is None  # ~/.ssh/config may be a link


@pytest.mark.parametrize("connection", [
    "ssh://-oProxyCommand=x", "ssh://root@host?ssh_config=/tmp/evil", "ssh://ro;ot@host",
    "ssh://host:99999", "ssh://host/path", "ssh://ho$t",
])
def test_connection_strings_are_validated(connection: str) -> None:
    with pytest.raises(ssh.SshSettingError, match="connection"):
        ssh.target_of(Host(name="h", connection=connection))


def test_the_ssh_command_line_puts_the_destination_after_double_dash() -> None:
    target = ssh.target_of(Host(name="h", connection="ssh://audit:pw@[::1]:2222",
                                ssh_extra_args="-C", known_hosts="~/kh"))
    argv = ssh.ssh_argv(target, "/tmp/rdy-ssh-x/abc")
    assert argv[:3] == ["sshpass", "-e", "ssh"]  # the password is in SSHPASS, not here
    assert "pw" not in " ".join(argv)
    assert (ssh.environment(target) or {}).get("SSHPASS") == "pw"
    assert argv[-2:] == ["--", "::1"]
    assert argv[argv.index("-l") + 1] == "audit" and argv[argv.index("-p") + 1] == "2222"
    options = [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]
    assert options.index("StrictHostKeyChecking=yes") < len(options)
    assert "ControlMaster=no" in options and "ControlPath=/tmp/rdy-ssh-x/abc" in options


def test_entries_that_trust_differently_never_share_a_master() -> None:
    def name(**settings: object) -> str:
        return ssh.target_of(Host(name="h", connection="ssh://root@web1", **settings)) \
            .control_name()

    strict = name()
    assert strict == ssh.target_of(Host(name="other", connection="ssh://root@web1")) \
        .control_name()  # same settings, another name: one connection
    assert len({strict, name(strict_host_key_checking=False), name(known_hosts="/kh"),
                name(ssh_identity_file="/id"), name(ssh_extra_args="-C")}) == 5


def test_remote_commands_are_killed_on_the_host_at_their_deadline() -> None:
    wrapped = ssh.remote_command("timedatectl show", 2.5)
    assert "timeout -k 1 3 /bin/sh -c 'timedatectl show'" in wrapped
    assert wrapped.endswith("else exec /bin/sh -c 'timedatectl show'; fi")
