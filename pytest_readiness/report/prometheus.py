"""The scorecard as Prometheus textfile-collector metrics.

Point node_exporter's ``--collector.textfile.directory`` at the directory of
``--readiness-prometheus PATH`` (the name must end in ``.prom``) and readiness
can be graphed and alerted on, e.g. ``readiness_overall_score < 70``. The file
is written atomically by prometheus_client (temp file, then rename), so the
collector never reads half a file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, write_to_textfile

from pytest_readiness.report.common import counts
from pytest_readiness.results import Record
from pytest_readiness.vocabulary import OUTCOMES, VERDICTS


def registry_for(record: Record) -> CollectorRegistry:
    registry = CollectorRegistry()
    system = record.system
    card = record.scorecard
    score = Gauge("readiness_category_score", "Readiness score of a category (0-100)",
                  ["system", "category"], registry=registry)
    weight = Gauge("readiness_category_weight", "Weight of a category in the overall score",
                   ["system", "category"], registry=registry)
    for cat in card.categories:
        weight.labels(system, cat.name).set(cat.weight)
        if cat.score is not None:  # an unassessed category has no score, not a zero
            score.labels(system, cat.name).set(round(cat.score, 2))
    overall = Gauge("readiness_overall_score", "Overall weighted readiness score (0-100)",
                    ["system"], registry=registry)
    if card.overall is not None:
        overall.labels(system).set(round(card.overall, 2))
    checks = Gauge("readiness_checks", "Checks per readiness outcome", ["system", "outcome"],
                   registry=registry)
    tally = counts(record.checks)
    for outcome in OUTCOMES:
        checks.labels(system, outcome).set(tally.get(outcome, 0))
    verdict = Gauge("readiness_verdict", "1 for the verdict of the last audit, 0 for the others",
                    ["system", "verdict"], registry=registry)
    for name in VERDICTS:
        verdict.labels(system, name).set(1 if card.verdict == name else 0)
    Gauge("readiness_profile_info", "1 for the policy profile that graded the last audit",
          ["system", "profile"], registry=registry).labels(system, record.profile).set(1)
    Gauge("readiness_blockers", "Failed or errored critical checks", ["system"],
          registry=registry).labels(system).set(len(card.blockers))
    Gauge("readiness_incomplete", "1 when the last audit was interrupted", ["system"],
          registry=registry).labels(system).set(1 if record.incomplete else 0)
    Gauge("readiness_partial", "1 when the record is one shard of a sharded audit", ["system"],
          registry=registry).labels(system).set(1 if record.partial else 0)
    if record.scope is not None:
        files = Gauge("readiness_scope_files", "Audited files per role (what is production)",
                      ["system", "role"], registry=registry)
        for role, number in record.scope.counts.items():
            files.labels(system, role).set(number)
    Gauge("readiness_last_run_timestamp_seconds", "When the last audit finished (unix time)",
          ["system"], registry=registry).labels(system).set(_timestamp(record.finished))
    return registry


def _timestamp(iso: str) -> float:
    try:
        return dt.datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def render(record: Record) -> str:
    return generate_latest(registry_for(record)).decode("utf-8")


def write(record: Record, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry_for(record))
