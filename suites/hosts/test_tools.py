"""Diagnostic tools present on hosts."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Recorder
from pytest_readiness.config import Host, ReadinessConfig
from pytest_readiness.probes.hosts import tools

pytestmark = pytest.mark.readiness(section="Diagnostic Tools", category="operations")


@pytest.mark.readiness(id="tools.present", severity="low",
                       fix="Install the missing packages (apt-get install / dnf install)")
def test_diagnostic_tools_installed(host: Any, host_config: Host,
                                    readiness_config: ReadinessConfig, readiness: Recorder) -> None:
    """Tools the audit or an operator needs on the host are installed."""
    needed = tools.needed_tools(readiness_config, host_config)
    if not needed:
        pytest.skip(f"not applicable: no tools needed on {host_config.name}")
    missing = tools.missing_tools(host, needed)
    readiness.evidence(host=host_config.name, needed=[t.name for t in needed],
                       missing={t.name: {"package": t.package, "why": t.why} for t in missing})
    if missing:
        readiness.warn(f"{host_config.name}: missing " + ", ".join(
            f"{t.name} (install package {t.package}: {t.why})" for t in missing))
