"""Probes: plain functions that read a target and return facts and findings. No pytest.

One module per suite, named for the check-id prefix of its checks (``probes/network/tls.py``
for ``tls.*``, ``probes/code/async_.py`` for ``async.*``: ``async`` is a keyword), grouped
by area like the suites. Probes import plumbing/, vocabulary, config and outcomes only.
"""
