"""Real OpenSSH servers on 127.0.0.1, each one a fake "remote host".

Every sshd runs in its own mount namespace (``unshare -m``), where directories of
the test are bind-mounted over paths of the machine (``/etc/systemd/system``,
``/etc/hosts``, a fixture directory), so the same absolute path shows each host's
own files: the fleet differs for real while every host is this machine. A
per-host ``bin`` directory leads ``PATH`` in sessions (``SetEnv``), for tools
this machine lacks (timedatectl answering without systemd).

Keys (host keys, the client key) are generated per session; the client trusts
the hosts through a known_hosts file written here, so host key checking stays on.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path) -> str:
    """Generate an ed25519 key pair at ``path``; return the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "readiness-test",
                    "-f", str(path)], check=True)
    return Path(f"{path}.pub").read_text().strip()


@dataclass
class SshHost:
    name: str
    port: int
    root: Path
    binds: dict[str, Path] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def connection(self) -> str:
        return f"ssh://root@127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    def accepted_logins(self) -> int:
        """Connections authenticated so far (sshd logs one line per connection)."""
        text = self.log.read_text() if self.log.exists() else ""
        return text.count("Accepted publickey")


@dataclass
class SshFleet:
    base: Path
    identity: Path
    known_hosts: Path
    hosts: list[SshHost]

    def host_entries(self, **extra: object) -> list[dict[str, object]]:
        """readiness.yaml ``hosts:`` entries for every host of the fleet."""
        return [{"name": h.name, "connection": h.connection,
                 "ssh_identity_file": str(self.identity), "known_hosts": str(self.known_hosts),
                 **extra} for h in self.hosts]

    def stop(self) -> None:
        for host in self.hosts:
            if host.process and host.process.poll() is None:
                host.process.terminate()
                try:
                    host.process.wait(5)
                except subprocess.TimeoutExpired:
                    host.process.kill()


def _sshd_config(host: SshHost, authorized_keys: Path) -> str:
    path = ":".join([str(host.root / "bin"), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                     "/usr/bin", "/sbin", "/bin"])
    return "\n".join([
        f"Port {host.port}", "ListenAddress 127.0.0.1", f"HostKey {host.host_key}",
        f"PidFile {host.root / 'sshd.pid'}", "UsePAM no", "StrictModes no",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
        f"AuthorizedKeysFile {authorized_keys}", "AllowUsers root", "LogLevel VERBOSE",
        f"SetEnv PATH={path}", "MaxStartups 200", "MaxSessions 200", "PrintMotd no",
        "X11Forwarding no", "AllowTcpForwarding no", "",
    ])


def _launch(host: SshHost, config: Path) -> subprocess.Popen[bytes]:
    mounts = [f"mount --bind {shlex.quote(str(src))} {shlex.quote(target)}"
              for target, src in sorted(host.binds.items())]
    sshd = f"exec {SSHD} -D -f {shlex.quote(str(config))} -E {shlex.quote(str(host.log))}"
    script = " && ".join([*mounts, sshd])
    return subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_banner(host: SshHost, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.process and host.process.poll() is not None:
            err = host.process.stderr.read().decode() if host.process.stderr else ""
            log = host.log.read_text() if host.log.exists() else "(no log)"
            raise RuntimeError(f"sshd for {host.name} exited: {err} {log}")
        try:
            with socket.create_connection(("127.0.0.1", host.port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd for {host.name} did not answer on port {host.port}")


def start_fleet(base: Path, names: list[str], binds: dict[str, dict[str, Path]]) -> SshFleet:
    """Start one sshd per name; ``binds[name]`` maps a path of this machine to a host dir."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    base.mkdir(parents=True, exist_ok=True)
    identity = base / "id_ed25519"
    authorized = base / "authorized_keys"
    authorized.write_text(keygen(identity) + "\n")
    # The hosts log in as this machine's user: its shell start-up files (a developer's pyenv
    # init racing on "cannot rehash") would speak on every command's stderr. A stock host
    # has none; each host's mount namespace sees an empty one instead.
    blank = base / "empty_shell_rc"
    blank.write_text("")
    shell_rcs = {str(rc): blank for rc in (Path.home() / ".bashrc",) if rc.is_file()}
    known_lines = []
    hosts = []
    for name in names:
        root = base / name
        (root / "bin").mkdir(parents=True, exist_ok=True)
        host = SshHost(name, free_port(), root, {**shell_rcs, **binds.get(name, {})})
        public = keygen(host.host_key)
        known_lines.append(f"[127.0.0.1]:{host.port} {' '.join(public.split()[:2])}")
        config = root / "sshd_config"
        config.write_text(_sshd_config(host, authorized))
        host.process = _launch(host, config)
        hosts.append(host)
    known_hosts = base / "known_hosts"
    known_hosts.write_text("\n".join(known_lines) + "\n")
    fleet = SshFleet(base, identity, known_hosts, hosts)
    try:
        for host in hosts:
            _wait_for_banner(host)
    except Exception:
        fleet.stop()
        raise
    return fleet
