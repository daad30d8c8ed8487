"""File modes in a codebase: secret-looking files open to others, world-writable files."""

from __future__ import annotations

import fnmatch
import stat
from dataclasses import dataclass

from pytest_readiness.probes.codebase import Inventory, SourceFile

SECRET_GLOBS = ("*.key", "*.pem", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".env",
                ".env.*", "*.env", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx")
# Templates and public halves are meant to be shared.
NOT_SECRET_SUFFIXES = (".pub", ".example", ".sample", ".template", ".dist", ".tmpl")
PEM_SECRET_MARKERS = (b"PRIVATE KEY", b"-----BEGIN OPENSSH", b"ENCRYPTED")


def mode_string(mode: int) -> str:
    return f"0{stat.S_IMODE(mode):03o}"


@dataclass(frozen=True)
class ModeProblem:
    file: str
    mode: str
    reason: str


def looks_secret(file: SourceFile) -> bool:
    """A file whose name says it holds a secret; a .pem/.crt holding only certificates does not."""
    name = file.name
    if name.endswith(NOT_SECRET_SUFFIXES) or file.is_symlink:
        return False
    if not any(fnmatch.fnmatchcase(name, glob) for glob in SECRET_GLOBS):
        return False
    if name.endswith(".pem"):
        try:
            head = file.path.read_bytes()[:65536]
        except OSError:
            return True
        return any(marker in head for marker in PEM_SECRET_MARKERS)
    return True


def loose_secret_files(inventory: Inventory) -> list[ModeProblem]:
    """Secret-looking files readable, writable or executable by group or others."""
    return [
        ModeProblem(f.rel, mode_string(f.mode),
                    ("readable by " if f.mode & 0o044 else "accessible by ") + _who(f.mode))
        for f in inventory.files
        if f.mode & 0o077 and looks_secret(f)
    ]


def world_writable(inventory: Inventory) -> list[ModeProblem]:
    return [ModeProblem(f.rel, mode_string(f.mode), "writable by anyone")
            for f in inventory.files if not f.is_symlink and f.mode & 0o002]


def _who(mode: int) -> str:
    parts = [name for bits, name in ((0o070, "group"), (0o007, "others")) if mode & bits]
    return " and ".join(parts)
