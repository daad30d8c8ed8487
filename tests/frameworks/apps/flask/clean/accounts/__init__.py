"""Accounts service: user profiles and the operator console's API (Flask)."""
