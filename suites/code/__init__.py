"""Bundled code checks."""
