"""Production entry point: ``python -m catalog``."""

from __future__ import annotations

from catalog.server import serve

if __name__ == "__main__":
    serve()
