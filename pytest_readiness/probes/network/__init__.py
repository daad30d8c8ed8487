"""Probes of network endpoints: TLS, HTTP headers, health and latency, databases, gRPC, DNS,
NTP."""
