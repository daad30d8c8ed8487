"""Parcels: the shipping service's one Django app."""
