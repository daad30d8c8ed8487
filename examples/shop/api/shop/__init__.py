"""Shop API: a small async order service (the example system audited by pytest-readiness)."""
