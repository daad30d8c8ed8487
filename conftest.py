"""Repository-level test configuration (the plugin itself lives in pytest_readiness/)."""
