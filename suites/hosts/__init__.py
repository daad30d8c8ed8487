"""Bundled hosts checks."""
