"""Hardcoded secrets in a codebase, found by pattern and never returned whole.

A finding carries the rule, file, line, the redacted value and a snippet in
which every secret on the line is redacted: the raw value never leaves
:func:`scan_text`, so no report, traceback or ``--showlocals`` can show it.
"""

from __future__ import annotations

import ast
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_readiness.plumbing import configfile, pyast, yamlpos
from pytest_readiness.plumbing.configfile import ENV_LINE
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.names import echoes_name, is_secret_name, names_a_constant
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.redact import (
    CODE_PATTERNS,
    X_RUN,
    SecretPattern,
    looks_real,
    pattern_hits,
    random_around_x,
    redact,
    redact_line,
)
from pytest_readiness.plumbing.scope import git_tracked  # noqa: F401 - re-exported
from pytest_readiness.plumbing.tree import (
    TEMPLATE_MARKERS,
    Inventory,
    SourceFile,
    context_of,
)
from pytest_readiness.vocabulary import Level


@dataclass(frozen=True)
class SecretFinding:
    rule: str
    title: str
    file: str
    line: int
    redacted: str
    snippet: str
    context: str  # code | docs | test | template

    @property
    def live(self) -> bool:
        return self.context == "code"


def scan_text(text: str, rel: str, rules: Iterable[SecretPattern] = CODE_PATTERNS
              ) -> Iterator[SecretFinding]:
    context = context_of(rel)
    by_line: dict[int, list[tuple[str, SecretPattern, str]]] = {}
    for number, line, rule, value in pattern_hits(text, rules):
        by_line.setdefault(number, []).append((line, rule, value))
    for number, hits in by_line.items():
        values = [value for _, _, value in hits]
        seen: set[str] = set()
        for line, rule, value in hits:
            if value in seen:
                continue
            seen.add(value)
            snippet = redact_line(line, values, f"{rule.title}: {redact(value)}")
            yield SecretFinding(rule.id, rule.title, rel, number, redact(value), snippet, context)


def scan_file(inventory: Inventory, file: SourceFile) -> list[SecretFinding]:
    """Pattern hits, plus AST rules for Python files; docstring examples count as docs."""
    if file.rel.endswith(".py") and not file.is_symlink:
        parsed = pyast.module(inventory, file)
        if parsed is not None:
            return scan_module(parsed)
    text = inventory.text(file)
    return [] if text is None else list(scan_text(text, file.rel))


def scan_module(module: pyast.Module) -> list[SecretFinding]:
    judged: set[int] = set()  # lines the AST rules judged, secret or not
    structural = ast_findings(module, judged) if module.tree is not None else []
    hits = list(pattern_hits(module.text))
    raw_by_line: dict[int, list[str]] = {}
    for finding, raw in structural:
        raw_by_line.setdefault(finding.line, []).append(raw)
    for number, _, _, value in hits:
        raw_by_line.setdefault(number, []).append(value)
    context = context_of(module.rel)
    found: list[SecretFinding] = []
    for finding, _ in structural:
        snippet = redact_line(module.line(finding.line), raw_by_line[finding.line],
                              finding.snippet)
        found.append(replace(finding, snippet=snippet))
    structural_lines = judged | {f.line for f, _ in structural}
    seen: set[tuple[int, str]] = set()
    for number, line, rule, value in hits:
        # A name=value pattern on a line the AST rules already judged is the same finding.
        if (number in structural_lines and rule.generic) or (number, value) in seen:
            continue
        seen.add((number, value))
        where = "docs" if number in module.docstring_lines and context == "code" else context
        snippet = redact_line(line, raw_by_line[number], f"{rule.title}: {redact(value)}")
        found.append(SecretFinding(rule.id, rule.title, module.rel, number, redact(value),
                                   snippet, where))
    return sorted(found, key=lambda f: (f.line, f.rule))


def scan(inventory: Inventory) -> list[SecretFinding]:
    found: list[SecretFinding] = []
    for file in inventory.files:
        found.extend(scan_file(inventory, file))
    return found


# --- structure: what the AST says about string constants -----------------------

WEAK_VALUES = frozenset({"admin", "password", "secret", "changeme", "change-me", "root", "toor",
                         "123456", "12345678", "default", "letmein", "pass", "passw0rd",
                         "qwerty", "guest", "test", "admin123", "password1", "postgres",
                         "changethis", "change_this", "change-this", "changeit", "change_me"})
TEMPLATE_VALUE = re.compile(r"^\$\{.*\}$|^<.*>$|^\{\{.*\}\}$|^%\(.*\)s$|\*{3}|"
                            r"(?:xxx|redacted|your[_-]|placeholder|example)"
                            r"|(?:XXX|REDACTED|YOUR[_-]|PLACEHOLDER|EXAMPLE)"
                            r"|(?:Xxx|Redacted|Your[_-]|Placeholder|Example)")
# Callables whose (key, default) arguments read configuration with a fallback.
FALLBACK_CALLS = frozenset({"getenv", "get", "setdefault", "config", "env", "str", "pop"})


def judge_value(value: str) -> str | None:
    """'weak', 'real', 'placeholder' or None (not worth a finding)."""
    stripped = value.strip()
    if not stripped or re.fullmatch(r"[A-Z][A-Z0-9_]*", stripped):
        return None  # empty, or the name of an environment variable
    if stripped in WEAK_VALUES:  # lower case only: "Password" is a form label
        return "weak"
    if TEMPLATE_VALUE.search(stripped) and not (
            random_around_x(stripped) and not TEMPLATE_VALUE.search(X_RUN.sub("", stripped))):
        return "placeholder"
    return "real" if looks_real(stripped) else None


def _structural(module: pyast.Module, node: ast.AST, key: str, value: str, rule: str,
                what: str, judged: set[int] | None = None) -> tuple[SecretFinding, str] | None:
    """A finding and its raw value (kept only to redact the line it sits on); ``judged``
    collects the lines looked at, so that no name=value pattern re-reports them.

    A protocol or form constant (``REFRESH_TOKEN = "refresh_token"``, a URL path, a value
    spelling its own name) is no secret; neither is a placeholder assigned to a name (a
    placeholder as a fallback default is a note: the code runs with it)."""
    line = getattr(node, "lineno", 1)
    if judged is not None:
        judged.add(line)
    verdict = judge_value(value)
    if verdict is None or (verdict == "placeholder" and rule == "assignment") or \
            (verdict != "placeholder" and names_a_constant(key, value)):
        return None
    context = context_of(module.rel)
    if line in module.docstring_lines and context == "code":
        context = "docs"
    if verdict == "placeholder" and context == "code":
        context = "placeholder"
    hidden = redact(value)
    title = f"{'weak ' if verdict == 'weak' else ''}{what} for {key}"
    # The snippet is finished by scan_module, once every secret on the line is known.
    return SecretFinding(rule, title, module.rel, line, hidden, f"{key} = {hidden}", context), value


def ast_findings(module: pyast.Module, judged: set[int] | None = None
                 ) -> list[tuple[SecretFinding, str]]:
    """Fallback defaults, secret keyword arguments and assignments of string constants;
    members of enumerations (``class GrantType(str, Enum): PASSWORD = "password"``) are
    names, not credentials (a known token format there is still found by its pattern)."""
    assert module.tree is not None
    found: list[tuple[SecretFinding, str] | None] = []
    for call in module.calls:
        key = pyast.const_str(call.arg(0, "key"))
        default = pyast.const_str(call.arg(1, "default"))
        if key and default is not None and pyast.tail(call.name) in FALLBACK_CALLS \
                and is_secret_name(key):
            found.append(_structural(module, call.node, key, default, "fallback-default",
                                     "hardcoded fallback", judged))
        for kw in call.node.keywords:
            value = pyast.const_str(kw.value)
            if kw.arg and value is not None and is_secret_name(kw.arg):
                found.append(_structural(module, kw.value, kw.arg, value, "keyword-argument",
                                         "hardcoded credential argument", judged))
    members = enum_members(module)
    for node in module.of(ast.Assign, ast.AnnAssign, ast.Dict):
        if id(node) in members:
            if judged is not None:
                judged.add(node.lineno)  # type: ignore[attr-defined]
            continue
        found.extend(_assignment_findings(module, node, judged))
    return [f for f in found if f is not None]


ENUM_BASES = re.compile(r"(?:Enum|Flag|Choices)$")


def enum_members(module: pyast.Module) -> set[int]:
    """``id()`` of the assignments that define members of enumerations (a class deriving
    from ``Enum``, ``StrEnum``, ``IntFlag``, Django's ``TextChoices``...)."""
    found: set[int] = set()
    for node in module.of(ast.ClassDef):
        if any(ENUM_BASES.search(pyast.tail(ast.unparse(b))) for b in node.bases):
            found.update(id(s) for s in node.body if isinstance(s, ast.Assign | ast.AnnAssign))
    return found


def _assignment_findings(module: pyast.Module, node: ast.AST, judged: set[int] | None = None
                         ) -> list[tuple[SecretFinding, str] | None]:
    pairs: list[tuple[str, ast.expr]] = []
    if isinstance(node, ast.Assign):
        pairs = [(n, node.value) for t in node.targets for n in pyast.target_names(t)]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        pairs = [(n, node.value) for n in pyast.target_names(node.target)]
    elif isinstance(node, ast.Dict):
        pairs = [(k, v) for k, v in ((pyast.const_str(k) if k else None, v)
                                     for k, v in zip(node.keys, node.values, strict=True)) if k]
    out: list[tuple[SecretFinding, str] | None] = []
    for name, value_node in pairs:
        value = pyast.const_str(value_node)
        if value is not None and is_secret_name(name):
            out.append(_structural(module, value_node, name, value, "assignment",
                                   "hardcoded credential", judged))
    return out


# --- files: committed .env files, templates, required configuration -------------

ENV_NAME = re.compile(r"^(?:\.env(?:\.[\w-]+)?|[\w.-]+\.env)$")


def is_env_file(rel: str) -> bool:
    """``.env``, ``.env.production``, ``prod.env``; templates (``.env.example``) are not."""
    name = rel.rsplit("/", 1)[-1]
    return bool(ENV_NAME.match(name)) and not any(m in name for m in TEMPLATE_MARKERS)


@dataclass(frozen=True)
class EnvValue:
    """A value a .env file holds, judged: real (a real-looking credential), weak, placeholder
    (``changethis``: a credential to set at deploy time) or setting (ports, versions, image
    pins, flags: not a credential). The value itself is kept only redacted."""

    key: str
    line: int
    verdict: str
    redacted: str


@dataclass(frozen=True)
class EnvFile:
    file: str
    tracked: bool | None  # None: not a git work tree (an archive ships it as a commit would)
    keys: int
    values: tuple[EnvValue, ...] = ()

    @property
    def credentials(self) -> list[EnvValue]:
        return [v for v in self.values if v.verdict != "setting"]


def env_files(inventory: Inventory, tracked: set[str] | None) -> list[EnvFile]:
    found = []
    for f in inventory.files:
        if not is_env_file(f.rel) or context_of(f.rel) == "test":
            continue
        values = env_values(inventory.text(f) or "")
        found.append(EnvFile(f.rel, None if tracked is None else f.rel in tracked,
                             len(values), tuple(v for v in values if v.verdict)))
    return found


def env_values(text: str) -> list[EnvValue]:
    """Every ``KEY=value`` of a .env file, judged by what it holds (:func:`judge_env_value`);
    an empty value has no verdict."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if match:
            value = _env_value(match[2])
            found.append(EnvValue(match[1], number, judge_env_value(match[1], value) or "",
                                  redact(value) if value else ""))
    return found


CHANGE_ME = frozenset({"changethis", "change_this", "change-this", "changeit", "change_it",
                       "change-it", "changeme", "change-me", "change_me"})
NOT_CREDENTIAL = re.compile(r"(?i)^(?:-?\d+(?:\.\d+)?[smhdkKMG]?|true|false|yes|no|on|off)$")


def judge_env_value(key: str, value: str) -> str | None:
    """real, weak, placeholder, unclear or setting; None for an empty value.

    A known secret format anywhere is real; a credential-named key holds a placeholder
    (``changeit``, ``<token>``, a value spelling its own name such as
    ``POSTGRES_ASTRONOMY_PASSWORD=astronomy_password``), a real-looking value (entropy), a
    weak one (a well-known default: ``postgres``, ``admin``), or anything else that is not a
    number or flag (unclear: neither a known placeholder nor real-looking); every other key
    holds a setting.
    """
    value = value.strip()
    if not value:
        return None
    if any(not rule.generic for _, _, rule, _ in pattern_hits(value)):
        return "real"
    if not is_secret_name(key, anywhere=True) or NOT_CREDENTIAL.match(value) or \
            re.fullmatch(r"\$\{?\w+(?::?[-?][^}]*)?\}?", value):
        return "setting"
    verdict = judge_value(value)
    if value.lower() in CHANGE_ME or verdict == "placeholder":
        return "placeholder"
    if verdict == "weak":  # a well-known default, even where it spells its name (SECRET=secret)
        return "weak"
    if echoes_name(key, value):
        return "placeholder"
    return "real" if verdict == "real" else "unclear"


def _env_value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw.split(" #", 1)[0].rstrip()


def template_findings(inventory: Inventory) -> list[SecretFinding]:
    """Real-looking secrets in config templates (``.env.example``, ``*.sample``, ...)."""
    found: list[SecretFinding] = []
    for f in inventory.files:
        if context_of(f.rel) != "template":
            continue
        text = inventory.text(f)
        if text is None:
            continue
        found.extend(replace(x, context="code") for x in scan_text(text, f.rel))
        for number, line in enumerate(text.splitlines(), start=1):
            match = ENV_LINE.match(line)
            if not match or line.lstrip().startswith("#") or not is_secret_name(match[1]):
                continue
            value = match[2].strip("'\"")
            # "changeme", "admin" in a template are placeholders: only real-looking values count.
            if judge_value(value) == "real" and not any(x.line == number for x in found):
                hidden = redact(value)
                found.append(SecretFinding("",
                                           f"real-looking value for {match[1]}", f.rel, number,
                                           hidden, f"{match[1]}={hidden}", "code"))
    return found


@dataclass(frozen=True)
class ConfigKeyProblem:
    file: str
    problem: str
    line: int | None = None


def load_config_file(path: Path, reader: Reader | None = None) -> dict[str, object]:
    """Parse by extension: YAML, JSON, TOML, INI/CFG/CONF, else .env lines; read through
    ``reader`` (default: one rooted at the file's directory)."""
    text = (reader or Reader(path.parent)).read(path).text
    return configfile.parse_text(text, configfile.format_of(path.name), path.name)


def config_file_problems(root: Path, rel: str, required_keys: Iterable[str],
                         mode: int | None, reader: Reader | None = None
                         ) -> tuple[list[ConfigKeyProblem], dict[str, object]]:
    """Missing file, unparseable file, missing or empty keys, a mode looser than wanted.

    Only key names are reported, never values (nor the lines a parser would quote).
    """
    path = Path(rel) if Path(rel).is_absolute() else root / rel
    facts: dict[str, object] = {"file": rel}
    try:
        info = path.stat()
    except OSError as exc:
        return [ConfigKeyProblem(rel, f"cannot read {rel}: {exc.strerror or exc}")], facts
    actual = stat.S_IMODE(info.st_mode)
    facts["mode"] = f"0{actual:03o}"
    problems = []
    if mode is not None and actual & ~mode:
        problems.append(ConfigKeyProblem(rel, f"mode 0{actual:03o} is looser than 0{mode:03o}"))
    try:
        data = load_config_file(path, reader)
    except OSError as exc:  # not read: a FIFO, a link out of the tree, too big
        problems.append(ConfigKeyProblem(rel, f"{rel}: {exc}"))
        return problems, facts
    except yamlpos.ParseError as exc:
        problems.append(ConfigKeyProblem(rel, f"cannot parse {rel}: {exc.problem}", exc.line))
        return problems, facts
    except Exception as exc:  # every parser has its own error type; the message is what matters
        message, line = configfile.parse_problem(exc, rel)
        problems.append(ConfigKeyProblem(rel, message, line))
        return problems, facts
    missing, empty = configfile.missing_and_empty(data, list(required_keys))
    facts.update(keys_checked=list(required_keys), missing=missing, empty=empty)
    problems += [ConfigKeyProblem(rel, f"required key {k!r} is missing") for k in missing]
    problems += [ConfigKeyProblem(rel, f"required key {k!r} is empty") for k in empty]
    return problems, facts


# --- findings the suite concludes on ----------------------------------------------------

HARDCODED_RULES = (*(p.id for p in CODE_PATTERNS), "fallback-default", "keyword-argument",
                   "assignment")
TEMPLATE_RULES = ("", *(p.id for p in CODE_PATTERNS))
_ENV_SAID = {True: "tracked by git", None: "in the tree (not a git repository)",
             False: "present but not tracked by git"}
_ENV_VERDICTS = {"real": (Level.ERROR, "a real-looking credential: rotate it"),
                 "weak": (Level.WARNING, "a well-known default password: set a real one "
                                         "at deploy time"),
                 "unclear": (Level.WARNING, "a low-entropy value that is no known "
                                            "placeholder: if it is a real password, rotate it "
                                            "and set it at deploy time"),
                 # It says it is to be replaced: what uses it is judged where it is exposed
                 # (compose.exposed-datastores, auth.default-admin).
                 "placeholder": (Level.NOTE, "a placeholder: set a real one at deploy time")}


def as_finding(found: SecretFinding) -> Finding:
    """A secret in live code is an error; one in tests, docs or templates a note."""
    where = "" if found.live else f" in {found.context}"
    return Finding(found.rule, f"{found.title} ({found.redacted}){where}", found.file, found.line,
                   found.snippet, Level.ERROR if found.live else Level.NOTE)


def template_value_findings(found: Iterable[SecretFinding]) -> list[Finding]:
    """Real-looking values in config templates: errors (a template is meant to be shared)."""
    return [Finding(f.rule, f"{f.title} ({f.redacted}) in a template", f.file, f.line, f.snippet)
            for f in found]


def env_file_findings(files: Iterable[EnvFile]) -> list[Finding]:
    """A committed .env file (or one in a tree that is not a git repository) judged by what
    it holds: each real-looking credential an error, each well-known default or unclear
    low-entropy one a warning, each placeholder a note; settings alone (ports, versions, image
    pins) a note; an empty file nothing. A .env file
    git does not track is a note whatever it holds."""
    found = []
    for f in files:
        where = _ENV_SAID[f.tracked]
        if f.tracked is False:
            found.append(Finding("", f".env file {where}", f.file, level=Level.NOTE))
            continue
        for value in f.credentials:
            level, said = _ENV_VERDICTS[value.verdict]
            found.append(Finding("", f"{value.key} holds {said} (.env file {where})", f.file,
                                 value.line, f"{value.key}={value.redacted}", level))
        if f.values and not f.credentials:
            found.append(Finding("", f".env file {where} holds {len(f.values)} setting(s), no "
                                     "credential (ports, versions, image pins)", f.file,
                                 level=Level.NOTE))
    return found


def config_key_findings(problems: Iterable[ConfigKeyProblem]) -> list[Finding]:
    return [Finding("", p.problem, p.file, p.line) for p in problems]


# --- secrets flowing into logs -------------------------------------------------------------

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                         "fatal", "log", "msg", "trace", "success"})
PRINT_CALLS = frozenset({"print", "sys.stderr.write", "sys.stdout.write", "pprint.pprint",
                         "pprint"})
# A call around a value that keeps it out of the log: its length, a mask, a hash.
MASKING = re.compile(r"(?i)mask|redact|hash|fingerprint|digest|truncat|obfuscat|censor|"
                     r"^len$|^bool$|^type$|^id$|^sha\d*|^md5$|^hmac|^short")


def _log_call(call: pyast.CallSite) -> bool:
    """A logging call (stdlib logging, structlog, loguru: a receiver named like a logger) or
    a print to the console."""
    if call.name in PRINT_CALLS:
        return True
    receiver, _, method = call.name.rpartition(".")
    return method in LOG_METHODS and "log" in receiver.lower()


def _secret_values(node: ast.expr) -> list[str]:
    """Names of secrets a logged expression interpolates whole: a variable, attribute or
    dict item named like a credential, in f-strings, ``%`` and ``.format`` arguments,
    tuples and dicts; a masked value (``mask(x)``, ``len(x)``, ``x[:4]``) is not one."""
    if isinstance(node, ast.Name):
        return [node.id] if is_secret_name(node.id) else []
    if isinstance(node, ast.Attribute):
        return [node.attr] if is_secret_name(node.attr) else []
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            return []  # token[:4]
        key = pyast.const_str(node.slice)
        return [key] if key and is_secret_name(key) else []
    if isinstance(node, ast.JoinedStr):
        return [n for v in node.values if isinstance(v, ast.FormattedValue)
                for n in _secret_values(v.value)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _secret_values(node.left) + _secret_values(node.right)
    if isinstance(node, ast.Tuple | ast.List):
        return [n for e in node.elts for n in _secret_values(e)]
    if isinstance(node, ast.Dict):
        found = []
        for item, value in zip(node.keys, node.values, strict=True):
            name = pyast.const_str(item) if item is not None else None
            if name and is_secret_name(name) and not _masked(value):
                found.append(name)
            else:
                found += _secret_values(value)
        return found
    if isinstance(node, ast.Call):
        func = pyast.tail(pyast.dotted(node.func, {})) if not isinstance(
            node.func, ast.Attribute) else node.func.attr
        if func == "format" and isinstance(node.func, ast.Attribute):
            return [n for a in (*node.args, *(k.value for k in node.keywords))
                    for n in _secret_values(a)] + _secret_values(node.func.value)
        if func in ("str", "repr", "dict"):
            return [n for a in node.args for n in _secret_values(a)]
    return []


def _masked(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else \
            pyast.tail(pyast.dotted(node.func, {}))
        return bool(MASKING.search(func))
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)


def logged_secrets(module: pyast.Module) -> list[Finding]:
    """Logging and print calls whose message or fields carry a secret whole: positional
    arguments, ``extra=`` and structlog/loguru keyword fields (a field named like a
    credential, or a value that is one)."""
    found = []
    for call in module.calls:
        if not _log_call(call):
            continue
        names = [n for a in call.node.args for n in _secret_values(a)]
        for kw in call.node.keywords:
            if kw.arg is None or kw.arg in ("exc_info", "stack_info", "stacklevel", "sep",
                                            "end", "file", "flush"):
                continue
            if kw.arg != "extra" and is_secret_name(kw.arg) and not _masked(kw.value):
                names.append(kw.arg)  # structlog: log.info("login", password=pw)
            else:
                names += _secret_values(kw.value)
        if names:
            shown = ", ".join(dict.fromkeys(names))
            said = ast.unparse(call.node.func)
            found.append(Finding("", f"{said}() writes {shown} to the log whole", module.rel,
                                 call.line, module.line(call.line).strip()))
    return found
