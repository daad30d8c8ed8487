"""Probes of code: secrets, authentication, blocking calls in async code, outbound
resilience, connection pools."""
