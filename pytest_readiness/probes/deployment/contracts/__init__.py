"""Contracts between the parts of a system: .proto files and their copies and stubs
(proto.py), and the environment variables code reads and deployments set (envvars.py)."""
