"""Precision of the default audit on the real-world corpus, against its labels.

Run on purpose, never as a test (issue 13, item 8; docs/precision.md):

    python scripts/precision.py                        # audit the three trees, print the tables
    python scripts/precision.py --keep /tmp/corpus     # extract into (and reuse) a directory
    python scripts/precision.py --keep /tmp/corpus --no-audit   # recompare the kept records
    python scripts/precision.py --json p.json --markdown docs/precision.md
    python scripts/precision.py --strict               # exit 1 on a false result, a miss
    python scripts/precision.py --profile baseline --profile restricted   # both profiles

Each archive of the corpus (README.md and labels.yaml beside them) is extracted and
audited as a new user would: ``python -m pytest --readiness --readiness-json ...`` run
in the tree, no readiness.yaml. Every fail and warn of the record is compared with the
labels (true, false, debatable), the README's must-find list is looked for, and the
scorecard is recomputed from the true findings only (issue 14). The script measures;
it exits 0 unless it breaks (2) or ``--strict`` finds a false result, a missed true
one or a missed must-find (1).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from precision_compare import (  # noqa: E402
    COMPOSE_FILE,
    ComposeFacts,
    MustFind,
    compare_tree,
    compose_carry,
    profile_summary,
    strict_failures,
    summarise,
)
from precision_render import render_markdown, render_text, splice_markdown  # noqa: E402

CORPUS = Path("/work/shared/corpus")
LOCAL_HOST_OPTION = "--readiness-local-host"
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__"})


class PrecisionError(Exception):
    """The measurement itself cannot go on (bad corpus, an audit that wrote no record)."""


# The corpus README's "Real problems that no check reported", as data. Check ids are
# globs: the rule that will report a problem may not exist yet (compose.exposed-*), so a
# family is named and the pattern keeps it to that problem. Lines are shown, not matched.
FASTAPI, NETBOX, OTEL = "full-stack-fastapi-template", "netbox-docker", "opentelemetry-demo"
SECRETS = ("secrets.*", "compose.literal-secrets")
DOCKER_SOCKET = ("compose.*", "files.docker-socket")
EXPOSED = ("compose.exposed-*",)
UNREAD = r"pars|syntax|unread|not read|could not|cannot|analy"
MUST_FIND: tuple[MustFind, ...] = (
    MustFind(FASTAPI, "compose.yml", "7", DOCKER_SOCKET, r"docker\.sock",
             "traefik mounts /var/run/docker.sock (host root equivalent)"),
    MustFind(FASTAPI, "compose.deploy.yml", "37-45", EXPOSED, r"adminer",
             "Adminer (a database admin UI) published to the internet"),
    MustFind(FASTAPI, "backend/app/api/deps.py", "36",
             ("auth.*", "secrets.hardcoded", "code.*", "codebase.*"), UNREAD,
             "syntax newer than the auditing Python (except A, B:) skipped silently",
             analysed=r"analysed through|parsed by"),
    MustFind(NETBOX, "env/netbox.env", "4", SECRETS, r"\bDB_PASSWORD\b",
             "committed DB password used through env_file:"),
    MustFind(NETBOX, "env/netbox.env", "24", SECRETS, r"\bREDIS_CACHE_PASSWORD\b",
             "committed Redis cache password used through env_file:"),
    MustFind(NETBOX, "env/netbox.env", "29", SECRETS, r"\bREDIS_PASSWORD\b",
             "committed Redis password used through env_file:"),
    MustFind(NETBOX, "env/netbox.env", "32", SECRETS, r"\bSECRET_KEY\b",
             "committed Django SECRET_KEY used through env_file:"),
    MustFind(NETBOX, "env/postgres.env", "2", SECRETS, r"\bPOSTGRES_PASSWORD\b",
             "committed PostgreSQL password used through env_file:"),
    MustFind(NETBOX, "env/netbox.env", "1", ("auth.cors*", "http.cors"),
             r"CORS_ORIGIN_ALLOW_ALL", "CORS_ORIGIN_ALLOW_ALL=True"),
    MustFind(OTEL, "compose.yaml", "835", DOCKER_SOCKET, r"docker\.sock|DOCKER_SOCK",
             "otel-collector mounts /var/run/docker.sock"),
    MustFind(OTEL, "compose.yaml", "834", DOCKER_SOCKET, r"hostfs|HOST_FILESYSTEM",
             "otel-collector mounts the host's / at /hostfs"),
    MustFind(OTEL, "compose.yaml", "803", EXPOSED, r"valkey-cart",
             "valkey-cart, no password, publishes its port on all interfaces"),
    MustFind(OTEL, "compose.yaml", "779", EXPOSED, r"astronomy-db",
             "astronomy-db (password changeit) publishes its port on all interfaces"),
)

# Check ids renamed since the review: old id -> the ids its labels carry over to.
CHECK_RENAMES: Mapping[str, tuple[str, ...]] = {}


# --- reading the corpus, running the audit ------------------------------------------

def read_labels(path: Path) -> list[dict[str, Any]]:
    trees = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(trees, list):
        raise PrecisionError(f"{path}: expected a list of trees")
    return trees


def compose_facts(root: Path) -> ComposeFacts:
    files: dict[str, str | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if SKIPPED_DIRS & set(relative.parts) or not COMPOSE_FILE.match(path.name):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        name = data.get("name") if isinstance(data, dict) else None
        files[relative.as_posix()] = str(name) if name else None
    return ComposeFacts(files, root.name)


def extract(archive: Path, dest: Path, commit: str) -> Path:
    """Extract a ``git archive`` (modes as stored, as ``tar -x`` by root) and check its
    commit; returns the tree's directory."""
    with tarfile.open(archive) as tar:
        stored = tar.pax_headers.get("comment", "")
        if commit and stored and stored != commit:
            raise PrecisionError(f"{archive}: holds commit {stored}, labels.yaml says {commit}")
        members = tar.getmembers()
        for member in members:
            parts = PurePosixPath(member.name).parts
            if member.name.startswith("/") or ".." in parts:
                raise PrecisionError(f"{archive}: unsafe member path {member.name!r}")
        # modes as archived (0664 here): what the review saw, and what root's tar gives
        trusted: dict[str, Any] = {"filter": "fully_trusted"} if hasattr(
            tarfile, "fully_trusted_filter") else {}
        tar.extractall(dest, members=members, **trusted)
    tops = {PurePosixPath(m.name).parts[0] for m in members}
    if len(tops) != 1:
        raise PrecisionError(f"{archive}: expected one top-level directory, found {sorted(tops)}")
    return dest / tops.pop()


def has_option(python: str, option: str, cwd: Path) -> bool:
    shown = subprocess.run([python, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                           cwd=cwd, capture_output=True, text=True, timeout=300)
    return option in shown.stdout


def audit(tree: Path, record: Path, python: str, extra: Sequence[str],
          timeout: float) -> tuple[dict[str, Any], float, int]:
    """Run the audit in ``tree`` as a subprocess; the record, seconds taken, exit code."""
    record.unlink(missing_ok=True)
    # -p no:cacheprovider: no .pytest_cache in the tree, so a kept tree audits the same files
    command = [python, "-P", "-m", "pytest", "--readiness", "--readiness-json", str(record),
               "-p", "no:cacheprovider", *extra]
    started = time.monotonic()
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - started
    if not record.is_file():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise PrecisionError(f"{tree.name}: the audit wrote no record (exit {done.returncode}):\n"
                         f"{tail}")
    return json.loads(record.read_text(encoding="utf-8")), elapsed, done.returncode


# --- command line ------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="directory of the archives, README.md and labels.yaml")
    parser.add_argument("--labels", type=Path, help="labels file (default: CORPUS/labels.yaml)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="extract into DIR and keep it (trees already there are reused)")
    parser.add_argument("--no-audit", action="store_true",
                        help="reuse the records kept in DIR/records (needs --keep)")
    parser.add_argument("--tree", action="append", help="only this tree (repeatable)")
    parser.add_argument("--local-host", action="store_true",
                        help=f"also audit this machine ({LOCAL_HOST_OPTION}, when the plugin "
                             "has it; the corpus labels its host checks false)")
    parser.add_argument("--profile", action="append", metavar="NAME",
                        help="audit under this policy profile (--readiness-profile; "
                             "repeatable: the first fills the precision tables, each gets "
                             "its columns in the outcomes-per-check table; default: the "
                             "plugin's default, no option passed)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter whose pytest-readiness audits (default: this one)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per tree audit")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write everything as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help="write the tables (between the markers of docs/precision.md "
                             "when PATH has them)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on a false result reported or a true one or must-find missed")
    args = parser.parse_args(argv)
    if args.no_audit and not args.keep:
        parser.error("--no-audit reads the records of --keep DIR")
    return args


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    labels_path = args.labels or args.corpus / "labels.yaml"
    trees = [t for t in read_labels(labels_path) if not args.tree or t["tree"] in args.tree]
    option = has_option(args.python, LOCAL_HOST_OPTION, scratch)
    extra = [LOCAL_HOST_OPTION] if args.local_host and option else []
    records = scratch / "records"
    records.mkdir(parents=True, exist_ok=True)
    profiles: list[str | None] = list(args.profile or [None])
    by_profile: dict[str, list[dict[str, Any]]] = {}
    kept: dict[str, list[Mapping[str, Any]]] = {}
    for tree in trees:
        root = scratch / str(tree["tree"])
        if not root.is_dir():
            root = extract(args.corpus / str(tree["archive"]), scratch, str(tree["commit"]))
        facts = compose_facts(root)
        musts = [m for m in MUST_FIND if m.tree == tree["tree"]]
        for profile in profiles:
            name = profile or "default"
            path = records / (f"{tree['tree']}.json" if profile is None
                              else f"{tree['tree']}.{profile}.json")
            chosen = extra + (["--readiness-profile", profile] if profile else [])
            if args.no_audit:
                record, elapsed, code = json.loads(path.read_text(encoding="utf-8")), 0.0, None
            else:
                record, elapsed, code = audit(root, path, args.python, chosen, args.timeout)
            row = compare_tree(tree, record, partial(compose_carry, facts=facts), musts,
                               CHECK_RENAMES)
            by_profile.setdefault(name, []).append(
                {**row, "record": str(path), "seconds": round(elapsed, 1), "exit_code": code})
            kept.setdefault(name, []).append(record)
    compared = by_profile[profiles[0] or "default"] if trees else []
    return {
        "schema": "pytest-readiness-precision/1",
        "labels": str(labels_path), "scratch": str(scratch),
        "versions": compared[0]["versions"] if compared else {},
        "local_host": {"option": option, "asked": args.local_host, "passed": bool(extra)},
        "trees": compared, **summarise(compared),
        "profiles": {name: profile_summary(rows, kept[name]) for name, rows in by_profile.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            report = run(args, args.keep.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="readiness-precision-") as tmp:
                report = run(args, Path(tmp))
    except (PrecisionError, OSError, subprocess.TimeoutExpired, yaml.YAMLError) as error:
        print(f"precision.py: {error}", file=sys.stderr)
        return 2
    print(render_text(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    if args.markdown:
        old = args.markdown.read_text(encoding="utf-8") if args.markdown.is_file() else ""
        args.markdown.write_text(splice_markdown(old, render_markdown(report)), encoding="utf-8")
    reasons = strict_failures(report)
    if args.strict and reasons:
        print(f"--strict: {len(reasons)} reason(s) to fail:", *reasons, sep="\n  ",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
