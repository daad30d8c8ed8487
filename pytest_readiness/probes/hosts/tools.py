"""Diagnostic tools an operator or the audit needs on a host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_readiness.config import Host, ReadinessConfig


@dataclass(frozen=True)
class NeededTool:
    name: str
    package: str
    why: str


def needed_tools(config: ReadinessConfig, host: Host) -> list[NeededTool]:
    """Tools configured for this host, and those its configured resources imply."""
    needed = [NeededTool(t.name, t.package or t.name, "listed under tools")
              for t in config.tools if not t.hosts or host.name in t.hosts]
    for database in config.databases:
        if database.sqlite and database.host == host.name:
            needed.append(NeededTool("sqlite3", "sqlite3",
                                     f"SQLite database {database.name} lives on this host"))
        elif database.dsn and database.host == host.name and database.dsn.startswith("postgres"):
            needed.append(NeededTool("psql", "postgresql-client",
                                     f"PostgreSQL database {database.name} lives on this host"))
    unique: dict[str, NeededTool] = {}
    for tool in needed:
        unique.setdefault(tool.name, tool)
    return list(unique.values())


def missing_tools(host: Any, tools: list[NeededTool]) -> list[NeededTool]:
    return [t for t in tools if host.run("command -v -- %s", t.name).rc != 0]
