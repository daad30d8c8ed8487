"""``pytest-readiness``: the commands that are not a pytest run.

- ``pytest-readiness audit [PYTEST ARGS...]``: the audit, as ``pytest --readiness``,
  started without reading the repository's pytest configuration at all (for a
  repository whose ini file stops pytest before any plugin runs: a ``minversion``
  above the installed pytest, ``required_plugins`` not installed, an ``addopts``
  ``-p`` plugin that is not installed).
- ``pytest-readiness init [DIR] [--force]``: write a commented readiness.yaml for
  what is found in DIR (default: the current directory).
- ``pytest-readiness merge a.json b.json ... -o all.json [--html H] [--report M]``:
  merge the records of a sharded run into one (its scorecard equals that of the
  unsharded run) and render it; ``--fail-under``/``--fail-on`` gate the merged
  result in the CI job that collects the shards.

Exit codes: 0 done, 2 usage error or unreadable input, 5 the merged record
assessed nothing (NOT ASSESSED), 6 a gate of ``merge`` is not met (as for
``pytest --readiness``, docs/exit-codes.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_readiness.config import ConfigError, load_config
from pytest_readiness.gates import CliExit, gate_failures
from pytest_readiness.results import Record, merge_records, read_record
from pytest_readiness.vocabulary import SEVERITIES, Verdict

EXIT_OK, EXIT_USAGE = CliExit.OK, CliExit.USAGE
EXIT_NOTHING_ASSESSED, EXIT_GATE_FAILED = CliExit.NOTHING_ASSESSED, CliExit.GATE_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pytest-readiness",
                                     description="pytest-readiness helper commands")
    sub = parser.add_subparsers(dest="command", required=True)
    audit = sub.add_parser("audit", help="run the audit (pytest --readiness) apart from the "
                                         "repository's own pytest configuration")
    audit.add_argument("pytest_args", nargs=argparse.REMAINDER,
                       help="passed to pytest (e.g. --readiness-json out.json -n 4)")
    init = sub.add_parser("init", help="write a commented readiness.yaml from what is found")
    init.add_argument("directory", nargs="?", default=".", type=Path)
    init.add_argument("-o", "--output", type=Path,
                      help="file to write (default: DIR/readiness.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    merge = sub.add_parser("merge", help="merge shard records into one")
    merge.add_argument("records", nargs="+", type=Path, metavar="RECORD.json")
    merge.add_argument("-o", "--output", type=Path, required=True, help="merged record (JSON)")
    merge.add_argument("--html", type=Path, help="also write the standalone HTML report")
    merge.add_argument("--report", type=Path, help="also write the Markdown report")
    merge.add_argument("--sarif", type=Path, help="also write SARIF")
    merge.add_argument("--prometheus", type=Path, help="also write Prometheus textfile metrics")
    merge.add_argument("--baseline", type=Path, help="compare with an earlier record")
    merge.add_argument("--fail-under", type=float, metavar="N",
                       help="exit 6 when the overall score is below N")
    merge.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY",
                       help="exit 6 when a check of SEVERITY or worse failed or errored")
    merge.add_argument("--no-regressions", action="store_true",
                       help="exit 6 when a check regressed since --baseline")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["audit"]:  # everything after it is pytest's, options included
        return audit(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            return init(args.directory, args.output, args.force)
        return merge(args)
    except ValueError as exc:
        print(f"pytest-readiness {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def audit(pytest_args: list[str]) -> int:
    """Replace this process with the isolated audit (pytest_readiness/isolation.py)."""
    from pytest_readiness import isolation

    argv = isolation.child_argv(pytest_args, Path.cwd())
    isolation.reexec(argv, isolation.child_env(pytest_args))
    return EXIT_USAGE  # not reached: exec replaced the process


def init(directory: Path, output: Path | None, force: bool) -> int:
    from pytest_readiness.discover import discover, endpoints, render_config

    if not directory.is_dir():
        raise ValueError(f"{directory}: not a directory")
    target = output or directory / "readiness.yaml"
    if target.exists() and not force:
        raise ValueError(f"{target} exists; use --force to overwrite it")
    found = discover(directory)
    text = render_config(found)
    target.write_text(text, encoding="utf-8")
    try:
        load_config(target)
    except ConfigError as exc:  # a bug of ours, but say so rather than leave a broken file
        raise ValueError(f"the generated file does not load: {exc}") from None
    other = len(found.not_production)
    print(f"wrote {target}: {len(endpoints(found.ports))} endpoint(s), "
          f"{len(found.compose)} compose, {len(found.dockerfiles)} Dockerfile(s) "
          f"({other} file(s) not production, commented out), {len(found.units)} unit(s), "
          f"{len(found.protos)} proto group(s), {len(found.workflows)} workflow(s), "
          f"{len(found.docs)} doc(s)")
    return EXIT_OK


def merge(args: argparse.Namespace) -> int:
    if args.no_regressions and not args.baseline:
        raise ValueError("--no-regressions needs --baseline")
    records = [read_record(path) for path in args.records]
    systems = {r.system for r in records}
    if len(systems) > 1:
        raise ValueError(f"the records are of different systems: {', '.join(sorted(systems))}")
    graded = {r.profile for r in records}
    if len(graded) > 1:
        raise ValueError(f"the records were graded by different profiles: "
                         f"{', '.join(sorted(graded))}")
    merged = merge_records(records)
    merged.notes = list(dict.fromkeys(n for r in records for n in r.notes))
    merged.notes += missing_shards([r.shard for r in records])
    if args.baseline:
        from pytest_readiness.baseline import compare

        merged.baseline = compare(merged, read_record(args.baseline), str(args.baseline)).to_dict()
    _write_all(merged, args)
    card = merged.scorecard
    print(f"merged {len(records)} record(s), {len(merged.checks)} checks: {card.verdict}, "
          f"overall {card.overall if card.overall is None else round(card.overall, 1)}")
    for note in merged.notes:
        print(f"note: {note}", file=sys.stderr)
    if card.verdict == Verdict.NOT_ASSESSED:
        print("nothing assessed: every check was not applicable; no verdict", file=sys.stderr)
        return EXIT_NOTHING_ASSESSED
    failures = gate_failures(merged, args.fail_under, args.fail_on, args.no_regressions)
    for failure in failures:
        print(f"gate NOT met: {failure}", file=sys.stderr)
    return EXIT_GATE_FAILED if failures else EXIT_OK


def missing_shards(shards: list[str | None]) -> list[str]:
    """A note when the records are shards of one split and some are missing."""
    labels = [s for s in shards if s]
    counts = {label.split("/")[1] for label in labels}
    if not labels or len(counts) != 1:
        return []
    total = int(counts.pop())
    missing = sorted(set(range(1, total + 1)) - {int(s.split("/")[0]) for s in labels})
    if not missing:
        return []
    return [f"shard(s) {', '.join(f'{i}/{total}' for i in missing)} missing from the merge: "
            "their checks are not in this record"]


def _write_all(merged: Record, args: argparse.Namespace) -> None:
    """Every file asked for, through the writers an audit uses (report/outputs.py)."""
    from pytest_readiness.report.outputs import Where, write_outputs

    paths = {"json": args.output, "markdown": args.report, "html": args.html,
             "sarif": args.sarif, "prometheus": args.prometheus}
    written = write_outputs(merged, paths, Where())
    if ("record", args.output) not in written:
        raise ValueError(merged.notes[-1])


if __name__ == "__main__":
    raise SystemExit(main())
