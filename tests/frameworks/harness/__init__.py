"""Runs the framework apps in a child process (never in pytest's own): see run.py."""
