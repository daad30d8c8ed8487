"""Probes of hosts: files, services, clocks, fleet drift, tools, host keys, connections."""
