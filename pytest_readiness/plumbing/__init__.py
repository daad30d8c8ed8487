"""What probes share, with no pytest and no probe imported: the codebase walk (tree.py),
parsed Python (pyast.py), YAML with line numbers (yamlpos.py), findings and suppressions
(findings.py, suppress.py), systemd unit syntax (unitfile.py), redaction (redact.py) and
the network pool (netpool.py)."""
