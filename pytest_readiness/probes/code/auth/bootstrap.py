"""Default admin credentials in deployment files (issue 15.8): bootstrap variables such as
``DJANGO_SUPERUSER_PASSWORD`` (read by ``createsuperuser --noinput``) or
``FIRST_SUPERUSER_PASSWORD`` given a literal in a production Compose project, a
Dockerfile ``ENV``/``ARG``, or a shell script of the tree.

The suite reads Compose through the Compose project model and Dockerfiles through their
parser, and hands this module what each file writes (:class:`Setting`); shell scripts are
read line by line (no parser: ``NAME=value`` assignments only). No pytest here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_readiness.plumbing.findings import Finding, RuleLevel
from pytest_readiness.plumbing.redact import redact
from pytest_readiness.probes.code.secrets import judge_value
from pytest_readiness.vocabulary import Level

# A variable that sets the first admin's password: DJANGO_SUPERUSER_PASSWORD,
# FIRST_SUPERUSER_PASSWORD, SUPERUSER_PASSWORD, ADMIN_PASSWORD, BOOTSTRAP_ADMIN_PASSWORD,
# INITIAL_ADMIN_PASSWORD, KEYCLOAK_ADMIN_PASSWORD. A datastore's root password
# (MYSQL_ROOT_PASSWORD) is compose.literal-secrets' business, not an admin account.
BOOTSTRAP_PASSWORD = re.compile(
    r"(?i)^(?:\w+_)?(?:superuser|admin|administrator|first_user|bootstrap(?:_admin|_user)?|"
    r"initial_(?:admin|user)|default_(?:admin|user))_?(?:password|passwd|pass|pwd)$")
# Passwords that are no protection (besides what secrets' judge_value calls weak).
WEAK = frozenset({"admin", "administrator", "password", "passw0rd", "secret", "root", "changeme",
                  "changethis", "change-me", "change_me", "changeit", "default", "test",
                  "superuser", "letmein", "qwerty", "123456", "12345678", "guest", "django"})
# ``${VAR}``, ``${VAR:?message}``, ``$VAR``: the deployment sets it; ``${VAR:-x}`` defaults.
REFERENCE = re.compile(r"^\$(?:\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}|"
                       r"(?P<bare>\w+))$")
MIN_LENGTH = 8

LEVELS = (
    RuleLevel("", Level.ERROR, "an admin account created with a literal password in code, or a "
                               "bootstrap admin password (DJANGO_SUPERUSER_PASSWORD, "
                               "FIRST_SUPERUSER_PASSWORD, ...) given a weak or default-looking "
                               "literal in a production Compose file or a Dockerfile"),
    RuleLevel("", Level.WARNING, "another literal bootstrap admin password there (committed "
                                 "with the code), or a weak one in a shell script inside a "
                                 "condition or function (the deployment may never take that "
                                 "branch)"),
    RuleLevel("", Level.NOTE, "a literal that is not weak in such a shell script branch"),
)


@dataclass(frozen=True)
class Setting:
    """A variable a deployment file gives the container: ``where`` says which kind of file
    ("compose service api", "Dockerfile ENV", "env_file of service api")."""

    key: str
    written: str | None  # as written, before interpolation (None: no value)
    file: str
    line: int
    where: str
    interpolated: bool = True  # False: a single-quoted env_file value, taken literally


def literal_of(setting: Setting) -> tuple[str, bool] | None:
    """(the password the deployment runs with, whether it is a ``${VAR:-default}``
    default) when the file writes a literal; None for no value or a reference."""
    value = (setting.written or "").strip()
    if not value:
        return None
    if setting.interpolated and "$" in value:
        match = REFERENCE.match(value)
        if match is None:
            return None  # built from references: the deployment decides
        if match["op"] in (":-", "-") and match["word"]:
            return match["word"], True
        return None
    return value, False


def weak(value: str) -> bool:
    """A password nobody has to guess: a known default, a weak word, a short one."""
    text = value.strip()
    return text.lower() in WEAK or judge_value(text) == "weak" or len(text) < MIN_LENGTH


def judge(settings: Iterable[Setting], *, sure: bool = True) -> list[Finding]:
    """Bootstrap admin passwords written as literals; ``sure=False`` for settings inside a
    shell condition or function (the deployment may never run them): one level lower."""
    out = []
    for s in settings:
        if not BOOTSTRAP_PASSWORD.match(s.key):
            continue
        literal = literal_of(s)
        if literal is None:
            continue
        value, defaulted = literal
        how = "defaults to" if defaulted else "is"
        if weak(value):
            level = Level.ERROR if sure else Level.WARNING
            what = f"a weak default admin password ({redact(value)})"
        elif judge_value(value) == "placeholder":
            level = Level.WARNING if sure else Level.NOTE
            what = f"a placeholder ({redact(value)}): deployed as is unless replaced"
        else:
            level = Level.WARNING if sure else Level.NOTE
            what = f"a literal admin password ({redact(value)}) committed with the code"
        branch = "" if sure else " (inside a condition or function)"
        out.append(Finding("", f"{s.where}: {s.key} {how} {what}{branch}; give it from a "
                               "secret at deploy time (${VAR}, a secrets file)",
                           s.file, s.line, level=level))
    return out


# --- shell scripts --------------------------------------------------------------------

ASSIGNMENT = re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+)?(?P<key>[A-Za-z_]\w*)="
                        r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s;&|]*)")
INLINE = re.compile(r"(?<![\w$])(?P<key>[A-Za-z_]\w*(?:PASSWORD|PASSWD|PASS|PWD))="
                    r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s;&|]*)", re.IGNORECASE)
OPENS = re.compile(r"^\s*(?:if|case|while|until|for)\b|^\s*(?:function\s+)?[\w-]+\s*\(\)\s*\{?|"
                   r"\{\s*$")
CLOSES = re.compile(r"^\s*(?:fi|esac|done|\})\s*(?:[;#].*)?$")


def _unquote(value: str) -> tuple[str, bool]:
    """The word's text and whether the shell expands ``$`` in it (not in single quotes)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1], False
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1], True
    return value, True


def shell_settings(rel: str, lines: Sequence[str]) -> tuple[list[Setting], list[Setting]]:
    """Bootstrap password assignments of a shell script: (those the script always runs,
    those inside a condition, loop or function). Heredocs and quoting are read roughly:
    a line is judged on its own."""
    always: list[Setting] = []
    branch: list[Setting] = []
    depth = 0
    for number, text in enumerate(lines, 1):
        stripped = text.strip()
        if stripped.startswith("#"):
            continue
        if CLOSES.match(text):
            depth = max(0, depth - 1)
            continue
        found = [m for m in (ASSIGNMENT.match(text), *INLINE.finditer(text)) if m]
        seen = set()
        for match in found:
            if match["key"] in seen:
                continue
            seen.add(match["key"])
            value, expands = _unquote(match["value"])
            setting = Setting(match["key"], value, rel, number, f"shell script {rel}", expands)
            (branch if depth else always).append(setting)
        if OPENS.match(text) and not re.search(r"\b(?:fi|esac|done)\b|\}\s*$", stripped):
            depth += 1
    return always, branch


def shell_findings(scripts: Iterable[tuple[str, Sequence[str]]]) -> list[Finding]:
    """Literal bootstrap admin passwords in shell scripts: as for Compose at the top level
    of the script; one level lower inside a condition or a function (the deployment may
    set the variable, or skip that branch: netbox-docker's ``SKIP_SUPERUSER``)."""
    out = []
    for rel, lines in scripts:
        always, branch = shell_settings(rel, lines)
        out += judge(always) + judge(branch, sure=False)
    return out


def is_shell_script(rel: str, first_line: str) -> bool:
    """A shell script by its name (``*.sh``) or its ``#!`` line."""
    return rel.endswith((".sh", ".bash")) or bool(
        re.match(r"#!\s*\S*/(?:env\s+)?(?:ba|da|z)?sh\b", first_line))


# --- Dockerfiles ----------------------------------------------------------------------


def dockerfile_settings(rel: str, instructions: Iterable[tuple[str, str, int]]
                        ) -> list[Setting]:
    """``ENV``/``ARG`` assignments (``ENV A=1 B="two"``, legacy ``ENV A value``) of the
    instructions (name, value, line) of a parsed Dockerfile."""
    out = []
    for name, value, line in instructions:
        if name not in ("ENV", "ARG"):
            continue
        try:
            words = shlex.split(value, posix=True)
        except ValueError:
            words = value.split()
        if not words:
            continue
        pairs = [(words[0], " ".join(words[1:]))] if "=" not in words[0] else \
            [tuple(w.partition("=")[::2]) for w in words]
        out += [Setting(k, v, rel, line, f"Dockerfile {name}") for k, v in pairs]
    return out
