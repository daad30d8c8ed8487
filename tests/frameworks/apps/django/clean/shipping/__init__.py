"""Shipping service: parcels and their tracking, behind a JWT-protected API (Django)."""
