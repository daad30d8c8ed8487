"""Probes of deployment files: Compose, Dockerfiles, unit files, contracts, CI, monitoring,
operations documents, the audit's own readiness.yaml."""
