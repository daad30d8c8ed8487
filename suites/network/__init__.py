"""Bundled network checks."""
